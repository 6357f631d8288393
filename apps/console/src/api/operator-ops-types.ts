// The API's shapes for the operator's fleet, billing and jobs pages, inferred from the zod schemas the API validates
// with (type-only: no zod in the bundle).
import type {
  InvoiceDetailSchema,
  InvoiceListReplySchema,
  InvoiceSummarySchema,
  VoidInvoiceReplySchema,
} from '@paddock/contracts';
import type { JobRecordSchema, ListJobsReplySchema } from '@paddock/contracts';
import type {
  CreateModelPriceReplySchema,
  ListModelPricesReplySchema,
  ListServerTypePricesReplySchema,
  ModelPriceSchema,
  UnpricedUsageReplySchema,
} from '@paddock/contracts';
import type { BoxDeploySchema, BoxDetailReplySchema, RepinHostKeyReplySchema } from '@paddock/contracts';
import type { BoxSummarySchema, HostSchema, ListBoxesReplySchema, ListHostsReplySchema } from '@paddock/contracts';
import type { ListPlansReplySchema, PlanReplySchema } from '@paddock/contracts';
import type { RolloutStartedReplySchema } from '@paddock/contracts';
import type { ListWorkflowsReplySchema, WorkflowRetriedReplySchema, WorkflowSummarySchema } from '@paddock/contracts';
import type { z } from 'zod';

export type BoxSummary = z.infer<typeof BoxSummarySchema>;
export type BoxList = z.infer<typeof ListBoxesReplySchema>;
export type BoxDetail = z.infer<typeof BoxDetailReplySchema>;
export type BoxDeploy = z.infer<typeof BoxDeploySchema>;
export type Repinned = z.infer<typeof RepinHostKeyReplySchema>;
export type RolloutStarted = z.infer<typeof RolloutStartedReplySchema>;
export type Host = z.infer<typeof HostSchema>;
export type HostList = z.infer<typeof ListHostsReplySchema>;
export type ModelPrice = z.infer<typeof ModelPriceSchema>;
export type ModelPriceList = z.infer<typeof ListModelPricesReplySchema>;
export type ModelPriceCreated = z.infer<typeof CreateModelPriceReplySchema>;
export type ServerTypePriceList = z.infer<typeof ListServerTypePricesReplySchema>;
export type UnpricedUsage = z.infer<typeof UnpricedUsageReplySchema>;
export type Plan = z.infer<typeof PlanReplySchema>;
export type PlanList = z.infer<typeof ListPlansReplySchema>;
export type InvoiceSummary = z.infer<typeof InvoiceSummarySchema>;
export type InvoiceDetail = z.infer<typeof InvoiceDetailSchema>;
export type InvoiceList = z.infer<typeof InvoiceListReplySchema>;
export type InvoiceVoided = z.infer<typeof VoidInvoiceReplySchema>;
export type JobRecord = z.infer<typeof JobRecordSchema>;
export type JobList = z.infer<typeof ListJobsReplySchema>;
export type WorkflowSummary = z.infer<typeof WorkflowSummarySchema>;
export type WorkflowList = z.infer<typeof ListWorkflowsReplySchema>;
export type WorkflowRetried = z.infer<typeof WorkflowRetriedReplySchema>;
