import { z } from 'zod';

/**
 * An amount of micros (10^-6 of the currency) as a JSON integer or a decimal string (prices can pass what a JSON
 * number holds exactly). Negative amounts are refused here; the price book refuses absurd ones.
 */
export const MicrosAmountSchema = z
  .union([z.number().int({ message: 'must be a whole number of micros' }), z.string().regex(/^-?[0-9]{1,19}$/)], {
    error: 'must be a whole number of micros (a JSON integer or a decimal string)',
  })
  .transform((value) => BigInt(value))
  .refine((value) => value >= 0n, { message: 'a price cannot be negative' });

const InstantSchema = z.iso.datetime({ offset: true, message: 'must be an ISO timestamp (2026-12-01T00:00:00Z)' });
const CurrencySchema = z.string().regex(/^[A-Z]{3}$/, { message: 'must be an ISO 4217 code in capitals (USD)' });

/** POST /v1/operator/billing/model-prices: a new version of a model's prices, in force from `effectiveFrom`. */
export const CreateModelPriceBodySchema = z
  .object({
    model: z.string().trim().min(1).max(128),
    currency: CurrencySchema,
    inputMicrosPerMillion: MicrosAmountSchema,
    outputMicrosPerMillion: MicrosAmountSchema,
    /** Defaults to the input price (a provider without a cache discount). */
    cachedInputMicrosPerMillion: MicrosAmountSchema.optional(),
    effectiveFrom: InstantSchema,
    note: z.string().max(500).optional(),
  })
  .strict();
export type CreateModelPriceBody = z.output<typeof CreateModelPriceBodySchema>;

/** PATCH /v1/operator/billing/model-prices/:id: fix a version that has rated nothing yet (else 409 price_in_use). */
export const UpdateModelPriceBodySchema = z
  .object({
    inputMicrosPerMillion: MicrosAmountSchema.optional(),
    outputMicrosPerMillion: MicrosAmountSchema.optional(),
    cachedInputMicrosPerMillion: MicrosAmountSchema.optional(),
    currency: CurrencySchema.optional(),
    effectiveFrom: InstantSchema.optional(),
    note: z.string().max(500).optional(),
  })
  .strict();
export type UpdateModelPriceBody = z.output<typeof UpdateModelPriceBodySchema>;

export const ModelPriceSchema = z.object({
  id: z.string(),
  model: z.string(),
  currency: z.string(),
  inputMicrosPerMillion: z.string(),
  outputMicrosPerMillion: z.string(),
  cachedInputMicrosPerMillion: z.string(),
  effectiveFrom: z.string().datetime(),
  /** When the next version of the model takes over (null: in force for good). */
  supersededAt: z.string().datetime().nullable(),
  /** In force now. */
  current: z.boolean(),
  /** Rated at least one usage event: never edited, only superseded. */
  used: z.boolean(),
  note: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string().datetime(),
});
export type ModelPriceReply = z.infer<typeof ModelPriceSchema>;

export const CreateModelPriceReplySchema = z.object({
  price: ModelPriceSchema,
  /** Unpriced usage events this version now prices (their periods have no issued invoice). */
  reRated: z.number().int(),
});

export const ListModelPricesQuerySchema = z.object({ model: z.string().trim().min(1).max(128).optional() }).strict();

export const ListModelPricesReplySchema = z.object({
  /** Every version, by model, then oldest first: the history, with `current` marking the one in force. */
  prices: z.array(ModelPriceSchema),
});

/** POST /v1/operator/billing/server-type-prices: what an hour of a provider's server type costs a tenant. */
export const CreateServerTypePriceBodySchema = z
  .object({
    provider: z.enum(['byo', 'hetzner', 'local']),
    serverType: z.string().trim().min(1).max(64),
    currency: CurrencySchema,
    microsPerHour: MicrosAmountSchema,
    effectiveFrom: InstantSchema,
    note: z.string().max(500).optional(),
  })
  .strict();
export type CreateServerTypePriceBody = z.output<typeof CreateServerTypePriceBodySchema>;

export const ServerTypePriceSchema = z.object({
  id: z.string(),
  provider: z.string(),
  serverType: z.string(),
  currency: z.string(),
  microsPerHour: z.string(),
  effectiveFrom: z.string().datetime(),
  supersededAt: z.string().datetime().nullable(),
  current: z.boolean(),
  note: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string().datetime(),
});

export const ListServerTypePricesReplySchema = z.object({ prices: z.array(ServerTypePriceSchema) });

/** GET /v1/operator/billing/unpriced: usage on models with no price in force, by model and UTC month. */
export const UnpricedUsageReplySchema = z.object({
  groups: z.array(
    z.object({
      model: z.string().nullable(),
      /** `2026-11` */
      month: z.string(),
      events: z.number().int(),
      tokensIn: z.string(),
      tokensOut: z.string(),
      tenants: z.number().int(),
      /** What the boxes said it cost (micros): a hint for the price to add, never billed. */
      reportedCostMicros: z.string(),
      firstAt: z.string().datetime(),
      lastAt: z.string().datetime(),
    }),
  ),
});

/** GET /v1/operator/billing/flagged: events whose reported cost and charge differ by more than the threshold. */
export const FlaggedUsageQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z
      .string()
      .regex(/^[1-9][0-9]{0,18}$/, { message: 'must be a nextCursor from a previous page' })
      .optional(),
  })
  .strict();

export const FlaggedUsageReplySchema = z.object({
  events: z.array(
    z.object({
      id: z.string(),
      tenantId: z.string(),
      boxId: z.string(),
      runId: z.string().nullable(),
      chainName: z.string().nullable(),
      stepName: z.string().nullable(),
      model: z.string().nullable(),
      occurredAt: z.string().datetime(),
      reportedCostMicros: z.string(),
      chargedMicros: z.string(),
    }),
  ),
  nextCursor: z.string().nullable(),
});

/** POST /v1/operator/billing/rerate */
export const RerateReplySchema = z.object({ reRated: z.number().int() });
