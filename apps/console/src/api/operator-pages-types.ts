// Shapes of the operator pages added for the tenant page, accounts and audit (type-only: no zod in the bundle).
import type { OperatorAlertSchema, ListOperatorAlertsReplySchema } from '@paddock/contracts';
import type { CostsReplySchema } from '@paddock/contracts';
import type { InvoiceListReplySchema } from '@paddock/contracts';
import type {
  InviteOperatorReplySchema,
  ListOperatorsReplySchema,
  OperatorAccountSchema,
  OperatorRoleSchema,
  ResetOperatorReplySchema,
} from '@paddock/contracts';
import type { AuditEntrySchema, AuditPageReplySchema } from '@paddock/contracts';
import type { z } from 'zod';

export type Costs = z.infer<typeof CostsReplySchema>;
export type InvoiceList = z.infer<typeof InvoiceListReplySchema>;
export type OperatorAlert = z.infer<typeof OperatorAlertSchema>;
export type OperatorAlertList = z.infer<typeof ListOperatorAlertsReplySchema>;
export type OperatorRole = z.infer<typeof OperatorRoleSchema>;
export type OperatorAccount = z.infer<typeof OperatorAccountSchema>;
export type OperatorAccountList = z.infer<typeof ListOperatorsReplySchema>;
export type InviteReply = z.infer<typeof InviteOperatorReplySchema>;
export type ResetReply = z.infer<typeof ResetOperatorReplySchema>;
export type AuditEntry = z.infer<typeof AuditEntrySchema>;
export type AuditPage = z.infer<typeof AuditPageReplySchema>;
