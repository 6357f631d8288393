import { z } from 'zod';

export const AuditQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** Opaque cursor from the previous page's `nextCursor` (pages go newest first). */
  cursor: z.string().max(40).optional(),
  /** The acting user's or API key's id, or an actor label (email, key prefix, `system` worker name). */
  actor: z.string().trim().min(1).max(320).optional(),
  tenantId: z.string().uuid({ message: 'must be a UUID' }).optional(),
  /** An exact action (`tenant.suspend`) or a prefix ending in `.` (`tenant.`). */
  action: z
    .string()
    .max(128)
    .regex(/^[a-z0-9_.]+$/, { message: 'must be a dotted action name' })
    .optional(),
  targetType: z.string().max(64).optional(),
  targetId: z.string().max(255).optional(),
  from: z.string().datetime({ offset: true }).optional(),
  to: z.string().datetime({ offset: true }).optional(),
});
export type AuditQuery = z.infer<typeof AuditQuerySchema>;

export const AuditEntrySchema = z.object({
  id: z.string(),
  at: z.string().datetime(),
  tenantId: z.string().nullable(),
  actor: z.object({ type: z.enum(['user', 'api_key', 'system']), id: z.string().nullable(), label: z.string() }),
  action: z.string(),
  target: z.object({ type: z.string().nullable(), id: z.string().nullable() }),
  details: z.unknown(),
  before: z.unknown().nullable(),
  after: z.unknown().nullable(),
  ipAddress: z.string().nullable(),
  userAgent: z.string().nullable(),
  requestId: z.string().nullable(),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

export const AuditPageReplySchema = z.object({ entries: z.array(AuditEntrySchema), nextCursor: z.string().nullable() });
