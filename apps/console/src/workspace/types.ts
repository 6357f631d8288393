// The tenant API's shapes the workspace pages read, inferred from the schemas the API validates with (type-only).
import type { CostsReplySchema } from '@paddock/contracts';
import type { InvoiceListReplySchema } from '@paddock/contracts';
import type { ApiKeySummarySchema, CreateApiKeyReplySchema, ListApiKeysReplySchema } from '@paddock/contracts';
import type {
  ChainDiffReplySchema,
  ChainVersionStagingReplySchema,
  ListChainsReplySchema,
  ListChainVersionsReplySchema,
} from '@paddock/contracts';
import type { InviteMemberReplySchema, ListMembersReplySchema } from '@paddock/contracts';
import type {
  ListRunsReplySchema,
  RunActionReplySchema,
  RunDetailSchema,
  RunEventReplySchema,
  RunStepSchema,
  RunSummarySchema,
} from '@paddock/contracts';
import type { ListSecretsReplySchema } from '@paddock/contracts';
import type { UsageReplySchema } from '@paddock/contracts';
import type { TerminalEndEventSchema, TerminalOutputEventSchema, TerminalStartEventSchema } from '@paddock/contracts';
import type { z } from 'zod';

export type RunList = z.infer<typeof ListRunsReplySchema>;
export type RunSummary = z.infer<typeof RunSummarySchema>;
export type RunDetail = z.infer<typeof RunDetailSchema>;
export type RunStep = z.infer<typeof RunStepSchema>;
export type RunEvent = z.infer<typeof RunEventReplySchema>;
export type RunAction = z.infer<typeof RunActionReplySchema>;
export type TerminalStart = z.infer<typeof TerminalStartEventSchema>;
export type TerminalOutput = z.infer<typeof TerminalOutputEventSchema>;
export type TerminalEnd = z.infer<typeof TerminalEndEventSchema>;
export type ChainList = z.infer<typeof ListChainsReplySchema>;
export type ChainVersionList = z.infer<typeof ListChainVersionsReplySchema>;
export type ChainDiff = z.infer<typeof ChainDiffReplySchema>;
export type ChainStaging = z.infer<typeof ChainVersionStagingReplySchema>;
export type SecretList = z.infer<typeof ListSecretsReplySchema>;
export type ApiKeyList = z.infer<typeof ListApiKeysReplySchema>;
export type ApiKeySummary = z.infer<typeof ApiKeySummarySchema>;
export type CreatedApiKey = z.infer<typeof CreateApiKeyReplySchema>;
export type MemberList = z.infer<typeof ListMembersReplySchema>;
export type InvitedMember = z.infer<typeof InviteMemberReplySchema>;
export type InvoiceList = z.infer<typeof InvoiceListReplySchema>;
export type Usage = z.infer<typeof UsageReplySchema>;
export type Costs = z.infer<typeof CostsReplySchema>;
