// The API's shapes, inferred from the same zod schemas the API validates with (type-only: no zod in the bundle).
import type {
  OperatorBrowserSessionReplySchema,
  OperatorCurrentSessionReplySchema,
  TenantBrowserSessionReplySchema,
  TenantCurrentSessionReplySchema,
  OperatorOverviewReplySchema,
  ListRolloutsReplySchema,
  RolloutDetailSchema,
  RolloutSchema,
  ListReleasesReplySchema,
  ListOperatorTenantsReplySchema,
  OperatorTenantDetailSchema,
  OperatorTenantSummarySchema,
  TenantStatusSchema,
  WorkflowStartedReplySchema,
  DecisionReplySchema,
  ListDecisionsReplySchema,
} from '@paddock/contracts';
import type { z } from 'zod';

export type OperatorBrowserSession = z.infer<typeof OperatorBrowserSessionReplySchema>;
export type OperatorCurrentSession = z.infer<typeof OperatorCurrentSessionReplySchema>;
export type TenantBrowserSession = z.infer<typeof TenantBrowserSessionReplySchema>;
export type TenantCurrentSession = z.infer<typeof TenantCurrentSessionReplySchema>;
export type OperatorOverview = z.infer<typeof OperatorOverviewReplySchema>;
export type TenantStatus = z.infer<typeof TenantStatusSchema>;
export type TenantSummary = z.infer<typeof OperatorTenantSummarySchema>;
export type TenantList = z.infer<typeof ListOperatorTenantsReplySchema>;
export type TenantDetail = z.infer<typeof OperatorTenantDetailSchema>;
export type WorkflowStarted = z.infer<typeof WorkflowStartedReplySchema>;
export type Rollout = z.infer<typeof RolloutSchema>;
export type RolloutDetail = z.infer<typeof RolloutDetailSchema>;
export type RolloutList = z.infer<typeof ListRolloutsReplySchema>;
export type ReleaseList = z.infer<typeof ListReleasesReplySchema>;
export type Decision = z.infer<typeof DecisionReplySchema>;
export type DecisionList = z.infer<typeof ListDecisionsReplySchema>;
