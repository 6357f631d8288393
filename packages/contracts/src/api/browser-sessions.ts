import { z } from 'zod';
import { OperatorSessionReplySchema } from './operator';
import { TenantCallerReplySchema, TenantSessionReplySchema } from './tenant-sessions';

/**
 * Browser (console) sessions: a login sent with `x-paddock-session: cookie` keeps the session token in an httpOnly
 * cookie and answers the CSRF token instead of the session token; every unsafe request the cookie authenticates
 * sends it back in `x-csrf-token`.
 */
const CsrfTokenSchema = z.string().describe('Send as the x-csrf-token header on every POST, PUT, PATCH and DELETE.');

export const OperatorBrowserSessionReplySchema = OperatorSessionReplySchema.omit({ token: true }).extend({
  csrfToken: CsrfTokenSchema,
});
export type OperatorBrowserSessionReply = z.infer<typeof OperatorBrowserSessionReplySchema>;

export const TenantBrowserSessionReplySchema = TenantSessionReplySchema.omit({ token: true }).extend({
  csrfToken: CsrfTokenSchema,
});
export type TenantBrowserSessionReply = z.infer<typeof TenantBrowserSessionReplySchema>;

/** GET .../sessions/current: who the cookie (or bearer token) is (null: nobody), and the CSRF token of a cookie session. */
const CurrentCsrfSchema = CsrfTokenSchema.nullable().describe('null unless the request carried a session cookie');

export const OperatorCurrentSessionReplySchema = z.object({
  operator: z
    .object({
      id: z.string(),
      email: z.string(),
      /** The console hides what the role may not do (the API refuses it regardless). */
      role: z.enum(['owner', 'operator', 'viewer']),
    })
    .nullable(),
  csrfToken: CurrentCsrfSchema,
});
export type OperatorCurrentSessionReply = z.infer<typeof OperatorCurrentSessionReplySchema>;

export const TenantCurrentSessionReplySchema = z.object({
  caller: TenantCallerReplySchema.nullable(),
  csrfToken: CurrentCsrfSchema,
});
export type TenantCurrentSessionReply = z.infer<typeof TenantCurrentSessionReplySchema>;
