import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { billableIntervals, meterBoxTime } from './box-time';
import { priceInForce, type ServerTypePrice } from './prices';

const HOUR = 3_600_000;
const t = (iso: string) => new Date(iso);
const cx22 = (id: string, from: string, microsPerHour: bigint): ServerTypePrice => ({
  id,
  provider: 'hetzner',
  serverType: 'cx22',
  currency: 'USD',
  microsPerHour,
  effectiveFrom: t(from),
});
const billable = (s: string) => !['pending', 'destroyed', 'failed'].includes(s);

describe('billable intervals from the status history', () => {
  it('opens at the first billable status, closes when the box is gone, ignores moves between billable ones', () => {
    const spans = billableIntervals(
      [
        { status: 'ready', at: t('2026-11-01T10:20:00Z') },
        { status: 'pending', at: t('2026-11-01T10:00:00Z') },
        { status: 'creating', at: t('2026-11-01T10:05:00Z') },
        { status: 'unreachable', at: t('2026-11-01T11:00:00Z') },
        { status: 'destroyed', at: t('2026-11-01T12:30:00Z') },
      ],
      billable,
      t('2026-12-01T00:00:00Z'),
    );
    expect(spans).toEqual([{ start: t('2026-11-01T10:05:00Z'), end: t('2026-11-01T12:30:00Z') }]);
  });

  it('a box still running is billable until the instant asked about', () => {
    const spans = billableIntervals(
      [{ status: 'ready', at: t('2026-11-30T23:00:00Z') }],
      billable,
      t('2026-12-01T00:00:00Z'),
    );
    expect(spans).toEqual([{ start: t('2026-11-30T23:00:00Z'), end: t('2026-12-01T00:00:00Z') }]);
  });
});

describe('metering box time', () => {
  it('splits by hour and by price change, and charges each piece at its price', () => {
    const prices = [cx22('p1', '2026-11-01T00:00:00Z', 3_600n), cx22('p2', '2026-11-01T11:30:00Z', 7_200n)];
    const meter = meterBoxTime([{ start: t('2026-11-01T10:15:00Z'), end: t('2026-11-01T12:00:00Z') }], prices, {
      from: t('2026-11-01T00:00:00Z'),
      to: t('2026-12-01T00:00:00Z'),
    });
    expect(meter.pieces.map((p) => [p.hour.toISOString(), p.price.id, p.ms, p.amountMicros])).toEqual([
      ['2026-11-01T10:00:00.000Z', 'p1', 45 * 60_000, 2_700n],
      ['2026-11-01T11:00:00.000Z', 'p1', 30 * 60_000, 1_800n],
      ['2026-11-01T11:00:00.000Z', 'p2', 30 * 60_000, 3_600n],
    ]);
    expect(meter.unpricedMs).toBe(0);
  });

  it('counts time before the first price as unpriced, and meters only whole hours of the period', () => {
    const meter = meterBoxTime(
      [{ start: t('2026-11-01T08:00:00Z'), end: t('2026-11-01T12:00:00Z') }],
      [cx22('p', '2026-11-01T09:00:00Z', 1_000n)],
      { from: t('2026-11-01T00:00:00Z'), to: t('2026-11-01T11:45:00Z') },
    );
    expect(meter.unpricedMs).toBe(HOUR);
    expect(meter.pieces.map((p) => p.hour.toISOString())).toEqual([
      '2026-11-01T09:00:00.000Z',
      '2026-11-01T10:00:00.000Z',
    ]);
  });

  it('covers every billable millisecond of the period exactly once (property)', () => {
    const span = fc
      .tuple(fc.integer({ min: 0, max: 48 * HOUR }), fc.integer({ min: 0, max: 10 * HOUR }))
      .map(([s, len]) => ({ start: new Date(s), end: new Date(s + len) }));
    const change = fc.integer({ min: 0, max: 48 * HOUR });
    fc.assert(
      fc.property(fc.array(span, { maxLength: 6 }), fc.uniqueArray(change, { maxLength: 5 }), (spans, changes) => {
        const prices = [0, ...changes].map((ms, i) => ({
          ...cx22(`p${i}`, '2026-01-01T00:00:00Z', 1_000n),
          effectiveFrom: new Date(ms),
        }));
        const to = 40 * HOUR;
        const distinct = [...new Map(prices.map((p) => [p.effectiveFrom.getTime(), p])).values()];
        const meter = meterBoxTime(spans, distinct, {
          from: new Date(0),
          to: new Date(to),
        });
        // Expected: the length of the spans' union inside [0, to), by a sweep over their ends.
        const edges = spans.flatMap((s) => [
          [Math.min(s.start.getTime(), to), 1],
          [Math.min(s.end.getTime(), to), -1],
        ]);
        edges.sort((a, b) => (a[0] as number) - (b[0] as number) || (b[1] as number) - (a[1] as number));
        let depth = 0;
        let last = 0;
        let union = 0;
        for (const [at, step] of edges as [number, number][]) {
          if (depth > 0) union += at - last;
          depth += step;
          last = at;
        }
        expect(meter.pieces.reduce((sum, p) => sum + p.ms, 0)).toBe(union);
        expect(meter.unpricedMs).toBe(0);
        for (const p of meter.pieces) {
          // Inside one hour, under one price: the one in force at its start, no change strictly inside it.
          expect(p.end.getTime() - p.hour.getTime()).toBeLessThanOrEqual(HOUR);
          expect(p.start.getTime()).toBeGreaterThanOrEqual(p.hour.getTime());
          expect(p.price.id).toBe(priceInForce(distinct, p.start)?.id);
          expect(changes.some((c) => c > p.start.getTime() && c < p.end.getTime())).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});
