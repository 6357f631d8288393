import { z } from 'zod';
import { PlanLimitsSchema } from '../plan-limits';

const MICROS = z
  .number()
  .int({ message: 'must be a whole number of micros' })
  .min(0, { message: 'must be 0 or more' })
  .max(Number.MAX_SAFE_INTEGER, { message: 'is too large' });
const BPS = z
  .number()
  .int({ message: 'must be whole basis points' })
  .min(0, { message: 'must be 0 (pass-through) or more' })
  .max(100_000, { message: 'must be at most 100000 (+1000%)' });

/** A new plan's code (stricter than signup's PlanCodeSchema, which also accepts older codes with `_`). */
export const CreatePlanCodeSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'must be lowercase letters, digits and "-" (max 64)' });

/** What an operator sets on a plan. Prices are integers: minor units for the fee, micros for usage. */
const PlanFields = {
  name: z.string().trim().min(1, { message: 'is required' }).max(200),
  description: z.string().max(2_000).nullable().optional(),
  priceMinor: z
    .number()
    .int({ message: 'must be a whole number of minor units' })
    .min(0, { message: 'must be 0 or more' })
    .max(2_147_483_647, { message: 'is too large' })
    .describe('Monthly fee in minor units of `currency` (cents)'),
  currency: z.string().regex(/^[A-Z]{3}$/, { message: 'must be an ISO 4217 code such as USD' }),
  provider: z.enum(['byo', 'hetzner', 'local']).describe("Where this plan's boxes come from"),
  serverType: z.string().max(64).nullable().optional(),
  region: z.string().max(64).nullable().optional(),
  includedUsageMicros: MICROS.describe('Metered usage included in the fee, in micros of `currency`'),
  usageMarkupBps: BPS.describe('Markup on model usage beyond the included amount (0 = pass-through)'),
  boxHourMarkupBps: BPS.describe("Markup on box hours over the provider's price (0 = pass-through)"),
  limits: PlanLimitsSchema,
  sortOrder: z.number().int().min(-1_000_000).max(1_000_000),
};

export const CreatePlanBodySchema = z
  .object({
    code: CreatePlanCodeSchema.describe('Stable identifier used at signup; never changes'),
    ...PlanFields,
    currency: PlanFields.currency.default('USD'),
    includedUsageMicros: PlanFields.includedUsageMicros.default(0),
    usageMarkupBps: PlanFields.usageMarkupBps.default(0),
    boxHourMarkupBps: PlanFields.boxHourMarkupBps.default(0),
    limits: PlanLimitsSchema.default({}),
    sortOrder: PlanFields.sortOrder.default(0),
  })
  .strict();
export type CreatePlanBody = z.output<typeof CreatePlanBodySchema>;

export const UpdatePlanBodySchema = z
  .object({
    name: PlanFields.name.optional(),
    description: PlanFields.description,
    priceMinor: PlanFields.priceMinor.optional(),
    currency: PlanFields.currency.optional(),
    provider: PlanFields.provider.optional(),
    serverType: PlanFields.serverType,
    region: PlanFields.region,
    includedUsageMicros: PlanFields.includedUsageMicros.optional(),
    usageMarkupBps: PlanFields.usageMarkupBps.optional(),
    boxHourMarkupBps: PlanFields.boxHourMarkupBps.optional(),
    limits: PlanLimitsSchema.optional().describe('Replaces the limits whole (a limit left out is no limit)'),
    sortOrder: PlanFields.sortOrder.optional(),
    active: z.boolean().optional().describe('false hides the plan from signups; its tenants keep it'),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'must change at least one field' });
export type UpdatePlanBody = z.output<typeof UpdatePlanBodySchema>;

export const PlanReplySchema = z.object({
  id: z.string(),
  code: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  priceMinor: z.number().int(),
  currency: z.string(),
  provider: z.string(),
  serverType: z.string().nullable(),
  region: z.string().nullable(),
  includedUsageMicros: z.number().int(),
  usageMarkupBps: z.number().int(),
  boxHourMarkupBps: z.number().int(),
  limits: PlanLimitsSchema,
  active: z.boolean(),
  sortOrder: z.number().int(),
  tenants: z.number().int().describe('Tenants on this plan (not deleted)'),
  createdAt: z.string().datetime(),
  updatedAt: z.string().datetime(),
});
export type PlanReply = z.infer<typeof PlanReplySchema>;

export const ListPlansQuerySchema = z
  .object({
    active: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
  })
  .strict();
export const ListPlansReplySchema = z.object({ plans: z.array(PlanReplySchema) });
