import { type Micros, roundDiv } from './money';
import { PriceIndex, type ServerTypePrice } from './prices';

const HOUR_MS = 3_600_000;

/** A box's status from `at` on (one row of the control plane's own status history, never the box's word). */
export interface StatusChange {
  status: string;
  at: Date;
}

/** A half-open span [start, end) of billable time. */
export interface Interval {
  start: Date;
  end: Date;
}

/**
 * The spans in which a box counts as existing at its provider, from its status history: a span opens when the box
 * enters a billable status and closes when it enters a non-billable one. The history is sorted here (the caller's
 * order is not trusted); a box still billable at `until` has its last span closed there.
 */
export function billableIntervals(
  history: readonly StatusChange[],
  isBillable: (status: string) => boolean,
  until: Date,
): Interval[] {
  const sorted = [...history].sort((a, b) => a.at.getTime() - b.at.getTime());
  const spans: Interval[] = [];
  let openedAt: Date | null = null;
  for (const change of sorted) {
    if (change.at.getTime() >= until.getTime()) break;
    const billable = isBillable(change.status);
    if (billable && openedAt === null) openedAt = change.at;
    else if (!billable && openedAt !== null) {
      if (change.at.getTime() > openedAt.getTime()) spans.push({ start: openedAt, end: change.at });
      openedAt = null;
    }
  }
  if (openedAt !== null && until.getTime() > openedAt.getTime()) spans.push({ start: openedAt, end: until });
  return spans;
}

/** One metered piece: billable time inside one UTC hour under one price version. */
export interface BoxTimePiece {
  /** The UTC hour the piece belongs to (its start). */
  hour: Date;
  start: Date;
  end: Date;
  ms: number;
  price: ServerTypePrice;
  /** `ms` at the price's hourly rate, rounded once (half away from zero) to micros. */
  amountMicros: Micros;
}

export interface BoxTimeMeter {
  pieces: BoxTimePiece[];
  /** Billable milliseconds with no price in force (listed for operators, metered once a price covers them). */
  unpricedMs: number;
}

/**
 * Meters billable spans within [from, to) into pieces per UTC hour and price version: a price change mid-hour
 * splits the hour, so each piece is charged at the price in force for all of it. Only whole hours are metered
 * (`from` and `to` are rounded down to the hour): an hour still running is metered by a later call, so a piece,
 * once written, never has to grow. Overlapping spans are merged (a box is charged once for any instant).
 */
export function meterBoxTime(
  spans: readonly Interval[],
  prices: readonly ServerTypePrice[],
  period: { from: Date; to: Date },
): BoxTimeMeter {
  const from = floorHour(period.from.getTime());
  const to = floorHour(period.to.getTime());
  const index = new PriceIndex(prices, () => 'one');
  const versions = index.versions('one');
  const pieces: BoxTimePiece[] = [];
  let unpricedMs = 0;
  for (const span of mergeSpans(spans)) {
    const start = Math.max(span.start.getTime(), from);
    const end = Math.min(span.end.getTime(), to);
    let t = start;
    while (t < end) {
      const hour = floorHour(t);
      // The piece ends at the hour's end, the span's end or the next price change, whichever comes first.
      let pieceEnd = Math.min(hour + HOUR_MS, end);
      const next = versions.find((v) => v.effectiveFrom.getTime() > t);
      if (next) pieceEnd = Math.min(pieceEnd, next.effectiveFrom.getTime());
      const price = index.at('one', new Date(t));
      const ms = pieceEnd - t;
      if (price === null) unpricedMs += ms;
      else {
        pieces.push({
          hour: new Date(hour),
          start: new Date(t),
          end: new Date(pieceEnd),
          ms,
          price,
          amountMicros: roundDiv(BigInt(ms) * price.microsPerHour, BigInt(HOUR_MS)),
        });
      }
      t = pieceEnd;
    }
  }
  return { pieces, unpricedMs };
}

function floorHour(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

function mergeSpans(spans: readonly Interval[]): { start: Date; end: Date }[] {
  const sorted = spans
    .filter((s) => s.end.getTime() > s.start.getTime())
    .sort((a, b) => a.start.getTime() - b.start.getTime());
  const merged: { start: Date; end: Date }[] = [];
  for (const span of sorted) {
    const last = merged[merged.length - 1];
    if (last && span.start.getTime() <= last.end.getTime()) {
      if (span.end.getTime() > last.end.getTime()) last.end = span.end;
    } else merged.push({ start: span.start, end: span.end });
  }
  return merged;
}
