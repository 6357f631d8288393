import { z } from 'zod';

/**
 * What a box may start on its own, sent by the control plane with a run (`run` op) or alone (`caps` op) and kept by
 * the runtime in `<root>/caps.json`: the runtime refuses a new run past them itself (a `_run` `refused` event, then
 * `finished` failed), so a plan's caps hold while the control plane cannot reach the box.
 *
 * The budget is exact across the hand-off: `remaining_micros` is the hard spend cap minus what the control plane
 * had counted when it read the box's collection cursor `cursor` (one snapshot), so the box subtracts the usage of
 * the events after that cursor in its journal (the cost its runs report: the box's own view) and nothing twice.
 */
export const BoxCapsSchema = z
  .object({
    max_concurrent_runs: z.number().int().min(0).max(1_000_000).nullable(),
    budget: z
      .object({
        remaining_micros: z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER),
        /** The box journal cursor the control plane's spend figure covers ('' = from the beginning). */
        cursor: z.string().max(64),
        /** The calendar month (UTC, `YYYY-MM`) the budget belongs to, for people reading the file. */
        period: z.string().max(16),
      })
      .nullable(),
    issued_at: z.string().max(64),
  })
  .strict();
export type BoxCaps = z.infer<typeof BoxCapsSchema>;

/**
 * Why a box refused a run (the `refused` event's `data.code`): the API's codes, or its caps file being unreadable
 * (the box then starts nothing rather than spend without a cap).
 */
export const BOX_REFUSAL_CODES = ['plan_limit_reached', 'spend_cap_reached', 'caps_unreadable'] as const;
export type BoxRefusalCode = (typeof BOX_REFUSAL_CODES)[number];
