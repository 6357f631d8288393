// The operator API's reply shapes, inferred from the schemas the server validates against (types only: the CLI
// loads no schema at run time, it prints what the server sent).
import type {
  EnqueuedReplySchema,
  JobRecordSchema,
  ListJobsReplySchema,
  OperatorSessionReplySchema,
  ChainActivationReplySchema,
  ListQuarantineReplySchema,
  ListOperatorTenantsReplySchema,
  OperatorTenantDetailSchema,
  ListWorkflowsReplySchema,
  WorkflowDetailSchema,
  WorkflowRetriedReplySchema,
  WorkflowStartedReplySchema,
  ListReleasesReplySchema,
  ListRolloutsReplySchema,
  PublishReleaseReplySchema,
  RolloutActionReplySchema,
  RolloutDetailSchema,
  RolloutStartedReplySchema,
  ListOperatorAlertsReplySchema,
  InvoiceDetailSchema,
  InvoiceListReplySchema,
  InvoiceSummarySchema,
  VoidInvoiceReplySchema,
  CloseMonthReplySchema,
  CreateModelPriceReplySchema,
  ListModelPricesReplySchema,
  ListServerTypePricesReplySchema,
  ServerTypePriceSchema,
  BoxExecReplySchema,
  BoxHealthReplySchema,
  RepinHostKeyReplySchema,
  HostSchema,
  ListBoxesReplySchema,
  ListHostsReplySchema,
  ProbeHostReplySchema,
  RegisterHostReplySchema,
  ListPlansReplySchema,
  PlanReplySchema,
} from '@paddock/contracts';
import type { z } from 'zod';

export type OperatorSessionReply = z.output<typeof OperatorSessionReplySchema>;
export type TenantList = z.output<typeof ListOperatorTenantsReplySchema>;
export type TenantDetail = z.output<typeof OperatorTenantDetailSchema>;
export type WorkflowList = z.output<typeof ListWorkflowsReplySchema>;
export type WorkflowDetail = z.output<typeof WorkflowDetailSchema>;
export type WorkflowStarted = z.output<typeof WorkflowStartedReplySchema>;
export type WorkflowRetried = z.output<typeof WorkflowRetriedReplySchema>;
export type JobList = z.output<typeof ListJobsReplySchema>;
export type JobRecord = z.output<typeof JobRecordSchema>;
export type Enqueued = z.output<typeof EnqueuedReplySchema>;
export type QuarantineList = z.output<typeof ListQuarantineReplySchema>;
export type ChainActivation = z.output<typeof ChainActivationReplySchema>;
export type ReleaseList = z.output<typeof ListReleasesReplySchema>;
export type ReleasePublished = z.output<typeof PublishReleaseReplySchema>;
export type RolloutList = z.output<typeof ListRolloutsReplySchema>;
export type RolloutDetail = z.output<typeof RolloutDetailSchema>;
export type RolloutStarted = z.output<typeof RolloutStartedReplySchema>;
export type RolloutActed = z.output<typeof RolloutActionReplySchema>;

// Fleet, hosts, money and alerts (issue 11's remaining command groups).

export type BoxList = z.output<typeof ListBoxesReplySchema>;
export type BoxHealth = z.output<typeof BoxHealthReplySchema>;
export type Repinned = z.output<typeof RepinHostKeyReplySchema>;
export type BoxExec = z.output<typeof BoxExecReplySchema>;
export type HostList = z.output<typeof ListHostsReplySchema>;
export type Host = z.output<typeof HostSchema>;
export type ProbedHost = z.output<typeof ProbeHostReplySchema>;
export type RegisteredHost = z.output<typeof RegisterHostReplySchema>;
export type PlanList = z.output<typeof ListPlansReplySchema>;
export type Plan = z.output<typeof PlanReplySchema>;
export type ModelPriceList = z.output<typeof ListModelPricesReplySchema>;
export type ModelPriceCreated = z.output<typeof CreateModelPriceReplySchema>;
export type ServerTypePriceList = z.output<typeof ListServerTypePricesReplySchema>;
export type ServerTypePrice = z.output<typeof ServerTypePriceSchema>;
export type InvoiceList = z.output<typeof InvoiceListReplySchema>;
export type InvoiceSummary = z.output<typeof InvoiceSummarySchema>;
export type InvoiceDetail = z.output<typeof InvoiceDetailSchema>;
export type InvoiceVoided = z.output<typeof VoidInvoiceReplySchema>;
export type MonthCloseQueued = z.output<typeof CloseMonthReplySchema>;
export type AlertList = z.output<typeof ListOperatorAlertsReplySchema>;
