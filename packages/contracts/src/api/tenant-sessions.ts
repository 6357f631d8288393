import { z } from 'zod';
import { EmailSchema } from './common';

/**
 * A password a tenant user chooses (at signup or later). Only its length is ruled: long passphrases beat composition
 * rules, and the upper bound keeps one request from costing the server much hashing.
 */
export const NewPasswordSchema = z
  .string({ error: 'must be a string' })
  .min(12, { message: 'must be at least 12 characters' })
  .max(256, { message: 'must be at most 256 characters' });

// A password being checked (login, current password): any length that could have been set, so a short or odd one is
// simply wrong, not a hint about the rules.
const PresentedPasswordSchema = z
  .string({ error: 'must be a string' })
  .min(1, { message: 'is required' })
  .max(1_024, { message: 'must be at most 1024 characters' });

export const TenantLoginBodySchema = z.object({ email: EmailSchema, password: PresentedPasswordSchema }).strict();
export type TenantLoginBody = z.output<typeof TenantLoginBodySchema>;

export const TenantUserRoleSchema = z.enum(['owner', 'admin', 'member', 'viewer']);
export const TenantStatusSchema = z.enum([
  'provisioning',
  'provisioning_failed',
  'active',
  'suspended',
  'deleting',
  'deleted',
]);

export const TenantSessionReplySchema = z.object({
  token: z
    .string()
    .describe('Session token (starts with `pds_`); shown once. Send as `Authorization: Bearer <token>`.'),
  expiresAt: z.string().datetime(),
  user: z.object({ id: z.string(), email: z.string(), role: TenantUserRoleSchema }),
  tenant: z.object({ id: z.string(), name: z.string(), status: TenantStatusSchema }),
});
export type TenantSessionReply = z.infer<typeof TenantSessionReplySchema>;

export const SetPasswordBodySchema = z
  .object({
    currentPassword: PresentedPasswordSchema.optional().describe('Required when the user already has a password.'),
    newPassword: NewPasswordSchema,
  })
  .strict();
export type SetPasswordBody = z.output<typeof SetPasswordBodySchema>;

export const TenantCallerReplySchema = z.object({
  credential: z.discriminatedUnion('type', [
    z.object({ type: z.literal('api_key'), id: z.string(), prefix: z.string() }),
    z.object({ type: z.literal('session'), id: z.string(), expiresAt: z.string().datetime() }),
  ]),
  user: z
    .object({ id: z.string(), email: z.string(), role: TenantUserRoleSchema, hasPassword: z.boolean() })
    .nullable()
    .describe('The person behind the credential (null for an API key that belongs to no user).'),
  tenant: z.object({
    id: z.string(),
    slug: z.string(),
    name: z.string(),
    status: TenantStatusSchema,
    plan: z.string(),
  }),
});
export type TenantCallerReply = z.infer<typeof TenantCallerReplySchema>;
