/**
 * Proration of a monthly fee over the part of a billing period a plan was in force.
 *
 * A period is a calendar month in UTC, `[startMs, endMs)`. A plan's span inside it is `[fromMs, toMs)` (clipped to
 * the period). Its share of the month is an exact fraction, never a float:
 * - `second` basis (the default): elapsed time, exact to the millisecond a timestamp carries. A plan change at
 *   10:00 on the 16th of a 30-day month gives the old plan 15 days + 10 h of 30 days, the new one the rest.
 * - `day` basis: whole UTC days. The day of a change belongs to the plan in force at its end (the new plan), so the
 *   old plan counts the days fully before the change's day. The shares of back-to-back spans always add up to the
 *   month's days, so a month without a change costs exactly the fee.
 *
 * Billing is in arrears (the month's invoice is made after the month), so an upgrade and a downgrade are the same
 * arithmetic: each plan is charged for its own share, nothing is refunded or charged ahead.
 *
 * All shares of one period have the same denominator (the period's length in the basis' unit), which lets callers
 * add shares of several spans exactly before they round once.
 */
import { roundDiv } from './money';

export type ProrationBasis = 'second' | 'day';

export const DAY_MS = 86_400_000;

export interface Period {
  startMs: number;
  endMs: number;
}

export interface Share {
  numerator: bigint;
  denominator: bigint;
}

/** The calendar month (UTC) `period` names, `YYYY-MM`. */
export function monthPeriod(period: string): Period {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(period);
  if (!match) throw new RangeError(`monthPeriod: expected YYYY-MM, got ${period}`);
  const year = Number(match[1]);
  const month = Number(match[2]) - 1;
  return { startMs: Date.UTC(year, month, 1), endMs: Date.UTC(year, month + 1, 1) };
}

/** `YYYY-MM` of the month holding `ms`. */
export function monthOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

/** The month before the one holding `ms` (what a close run at `ms` closes). */
export function previousMonth(ms: number): string {
  const d = new Date(ms);
  return monthOf(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1));
}

function checkPeriod(period: Period): void {
  if (!Number.isInteger(period.startMs) || !Number.isInteger(period.endMs) || period.endMs <= period.startMs) {
    throw new RangeError('proration: a period needs integer bounds with end after start');
  }
}

/** The share of `period` that `[fromMs, toMs)` covers (0 when they do not overlap). */
export function periodShare(
  span: { fromMs: number; toMs: number },
  period: Period,
  basis: ProrationBasis = 'second',
): Share {
  checkPeriod(period);
  const from = Math.max(span.fromMs, period.startMs);
  const to = Math.min(span.toMs, period.endMs);
  if (basis === 'second') {
    return { numerator: BigInt(Math.max(0, to - from)), denominator: BigInt(period.endMs - period.startMs) };
  }
  const days = (ms: number) => Math.floor((ms - period.startMs) / DAY_MS);
  const denominator = BigInt(Math.ceil((period.endMs - period.startMs) / DAY_MS));
  if (to <= from) return { numerator: 0n, denominator };
  // A span that ends at the period's end owns the last (possibly partial) day.
  const end = to >= period.endMs ? Number(denominator) : days(to);
  return { numerator: BigInt(Math.max(0, end - days(from))), denominator };
}

/** `amount` times `share`, rounded once (the rounding rule). */
export function prorate(amount: bigint, share: Share): bigint {
  return roundDiv(amount * share.numerator, share.denominator);
}
