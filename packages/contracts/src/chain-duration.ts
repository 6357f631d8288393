import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_PATTERN = /^(\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART_PATTERN = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/**
 * Parses "500ms", "30s", "5m", "1h30m", "2d" into milliseconds. A bare number is refused on purpose: `timeout: 30`
 * is ambiguous (seconds? minutes?) and a chain author should not have to guess.
 */
export function parseDurationMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DURATION_PATTERN.test(trimmed)) return undefined;
  let total = 0;
  for (const match of trimmed.matchAll(PART_PATTERN)) {
    const amount = Number(match[1]);
    const unit = match[2] as keyof typeof UNIT_MS;
    total += amount * UNIT_MS[unit];
  }
  return Math.round(total);
}

export const DurationSchema = z.string({ error: 'must be a duration with a unit, e.g. "30s", "5m", "1h30m"' }).refine(
  (value) => {
    const ms = parseDurationMs(value);
    return ms !== undefined && ms > 0;
  },
  { message: 'must be a positive duration with a unit, e.g. "500ms", "30s", "5m", "1h30m", "2d"' },
);

export type Duration = z.infer<typeof DurationSchema>;

/** For values already validated by DurationSchema. */
export function durationMs(value: string): number {
  const ms = parseDurationMs(value);
  if (ms === undefined) throw new Error(`not a duration: ${value}`);
  return ms;
}

/**
 * An agent step's watchdog limit (`timeout`, `idle_timeout`, and the chain's `defaults`): a positive duration, or
 * `none` to switch the box-wide default off for a step that may legitimately be silent or long (an interactive step a
 * person attaches to).
 */
export const WatchdogLimitSchema = z
  .string({ error: 'must be a duration with a unit, e.g. "30s", "5m", "1h30m", or "none"' })
  .refine(
    (value) => {
      if (value === 'none') return true;
      const ms = parseDurationMs(value);
      return ms !== undefined && ms > 0;
    },
    { message: 'must be a positive duration with a unit, e.g. "500ms", "30s", "5m", "1h30m", or "none"' },
  );
