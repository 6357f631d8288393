import { z } from 'zod';

/** `POST /v1/api-keys`: a name people tell keys apart by (the key itself is generated). */
export const CreateApiKeyBodySchema = z
  .object({
    name: z
      .string()
      .trim()
      .min(1, { message: 'must not be empty' })
      .max(200, { message: 'must be at most 200 characters' })
      .refine((name) => !/[\p{Cc}]/u.test(name), { message: 'must not contain control characters' }),
  })
  .strict();

export const ApiKeyParamsSchema = z.object({ id: z.string().uuid({ message: 'must be a UUID' }) });

/** What lists say about a key: never the key or its hash, only the visible prefix. */
export const ApiKeySummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  /** The visible part of the key (`pdk_live_3fa9c1d2e4b6`). */
  prefix: z.string(),
  /** Who created it (null: a workspace key that belongs to nobody); the key acts with that person's role. */
  createdBy: z.string().nullable(),
  createdAt: z.string().datetime(),
  lastUsedAt: z.string().datetime().nullable(),
  expiresAt: z.string().datetime().nullable(),
  revokedAt: z.string().datetime().nullable(),
});

export const ListApiKeysReplySchema = z.object({ apiKeys: z.array(ApiKeySummarySchema) });

/** The one answer that holds the whole key: it is not stored, so it cannot be shown again. */
export const CreateApiKeyReplySchema = z.object({ apiKey: ApiKeySummarySchema, key: z.string() });
