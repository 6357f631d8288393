import { z } from 'zod';

export const ErrorReplySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ path: z.string().optional(), message: z.string() }).passthrough()).optional(),
    requestId: z.string(),
  }),
});

export const UuidParamsSchema = z.object({ id: z.string().uuid({ message: 'must be a UUID' }) });

export const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** Opaque cursor from the previous page's `nextCursor`. */
  cursor: z.string().max(200).optional(),
});

export const EmailSchema = z.string().trim().toLowerCase().max(320).email({ message: 'must be an email address' });
