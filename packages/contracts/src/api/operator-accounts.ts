import { z } from 'zod';
import { EmailSchema } from './common';
import { NewPasswordSchema } from './tenant-sessions';

/** owner: everything and the operators; operator: tenants, boxes, rollouts, billing; viewer: reads only. */
export const OperatorRoleSchema = z.enum(['owner', 'operator', 'viewer']);
export type OperatorRole = z.infer<typeof OperatorRoleSchema>;

export const OperatorAccountSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  role: OperatorRoleSchema,
  /**
   * `invited`: no password yet (the invite is open or expired); `password_reset`: an owner reset it and the new one
   * is not chosen yet; `disabled`: cannot log in.
   */
  status: z.enum(['active', 'invited', 'password_reset', 'disabled']),
  lastLoginAt: z.string().datetime().nullable(),
  createdAt: z.string().datetime(),
});
export type OperatorAccount = z.infer<typeof OperatorAccountSchema>;

export const ListOperatorsReplySchema = z.object({ operators: z.array(OperatorAccountSchema) });

export const InviteOperatorBodySchema = z.strictObject({
  email: EmailSchema,
  role: OperatorRoleSchema,
  name: z.string().trim().min(1).max(200).optional(),
});

export const ChangeOperatorRoleBodySchema = z.strictObject({ role: OperatorRoleSchema });

/** An invite or reset: the token is shown once, here; only its hash is stored. */
export const AccountLinkReplySchema = z.object({
  token: z.string().describe('Single-use; give it to the person (POST it back with their new password).'),
  expiresAt: z.string().datetime(),
});

export const InviteOperatorReplySchema = z.object({ operator: OperatorAccountSchema, invite: AccountLinkReplySchema });
export const ResetOperatorReplySchema = z.object({ operator: OperatorAccountSchema, reset: AccountLinkReplySchema });

/** Redeem an invite or a password reset link: sets the password; log in afterwards. */
export const AcceptAccountLinkBodySchema = z.strictObject({
  token: z.string().min(16).max(200),
  password: NewPasswordSchema,
});
export const AcceptAccountLinkReplySchema = z.object({ id: z.string(), email: z.string() });
