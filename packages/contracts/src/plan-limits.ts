import { z } from 'zod';

/** Largest figure a limit may take: within PostgreSQL's `integer` (and far above any plan). */
const COUNT_MAX = 1_000_000;
/** A monthly cap within PostgreSQL's `bigint` and JavaScript's safe integers (micros: 9e15 = $9e9). */
const MICROS_MAX = Number.MAX_SAFE_INTEGER;

const count = (what: string) =>
  z
    .number()
    .int({ message: 'must be a whole number' })
    .min(0, { message: 'must be 0 or more' })
    .max(COUNT_MAX, { message: `must be at most ${COUNT_MAX}` })
    .describe(what);

/**
 * A monthly spend cap on metered usage (the control plane's own charges for the calendar month, UTC). `hard`: new
 * runs are refused (`spend_cap_reached`) once the month's spend reaches the cap, by the API and by the box itself;
 * `soft`: runs go on, and operators get an alert at `warnAtPercent` and another at 100%, once each per month.
 */
export const SpendCapSchema = z
  .object({
    monthlyMicros: z
      .number()
      .int({ message: 'must be a whole number of micros' })
      .min(0, { message: 'must be 0 or more' })
      .max(MICROS_MAX, { message: 'is too large' })
      .describe('The cap in micro-units of the plan currency (1 USD = 1,000,000)'),
    mode: z.enum(['hard', 'soft']).describe('`hard` refuses new runs at the cap; `soft` only warns'),
    warnAtPercent: z
      .number()
      .int()
      .min(1, { message: 'must be 1 to 99' })
      .max(99, { message: 'must be 1 to 99' })
      .default(80)
      .describe('The early warning, in percent of the cap (80 unless given)'),
  })
  .strict();
export type SpendCap = z.infer<typeof SpendCapSchema>;

/**
 * A plan's limits (`plans.limits`). A limit left out is no limit. Enforced where each can be broken: the API refuses
 * with `plan_limit_reached` (details name the limit, the current figure and the maximum) or `spend_cap_reached`;
 * the box refuses runs past `maxConcurrentRuns` and a hard cap's remaining budget on its own.
 */
export const PlanLimitsSchema = z
  .object({
    maxConcurrentRuns: count('Runs queued, running or waiting for a decision at once').optional(),
    maxChains: count('Chains (not archived)').optional(),
    maxAgentsPerChain: count('Steps (agents and decisions) in one chain version').optional(),
    maxSecrets: count('Workspace secrets').optional(),
    spendCap: SpendCapSchema.optional(),
  })
  .strict();
export type PlanLimits = z.infer<typeof PlanLimitsSchema>;
export type PlanLimitsInput = z.input<typeof PlanLimitsSchema>;
export type PlanLimitName = Exclude<keyof PlanLimits, 'spendCap'>;

/**
 * Reads limits stored before this schema (or by a newer control plane): keys it does not know are dropped, not
 * refused, so an old row never makes a tenant's every request fail; the known ones must still be well-formed.
 */
export const StoredPlanLimitsSchema = PlanLimitsSchema.strip();
