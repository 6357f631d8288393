import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMinor } from './format-money';
import { buildInvoice, creditNoteLines, type PlanTerms } from './invoice-lines';
import { monthPeriod } from './proration';

const november = monthPeriod('2026-11');
const at = (iso: string) => Date.parse(iso);
const starter: PlanTerms = {
  code: 'starter',
  name: 'Starter',
  currency: 'USD',
  monthlyFeeMinor: 2_900n,
  includedUsageMicros: 5_000_000n, // $5 of usage included
  markupBps: 2_000, // +20%
};
const team: PlanTerms = { ...starter, code: 'team', name: 'Team', monthlyFeeMinor: 9_900n, markupBps: 1_000 };
const noUsage = { usage: [], boxTime: { seconds: 0n, amountMicros: 0n }, credits: [] };

describe('invoice lines', () => {
  it('prorates the fee over a plan change mid-month, one line per plan', () => {
    const change = at('2026-11-16T10:00:00Z');
    const invoice = buildInvoice({
      currency: 'USD',
      period: november,
      spans: [
        { plan: starter, fromMs: at('2026-10-02T00:00:00Z'), toMs: change, trial: false },
        { plan: team, fromMs: change, toMs: Number.MAX_SAFE_INTEGER, trial: false },
      ],
      ...noUsage,
    });
    const fees = invoice.lines.filter((l) => l.kind === 'plan_fee');
    expect(fees.map((l) => [l.metadata.plan, l.amountMinor])).toEqual([
      ['starter', 1_490n],
      ['team', 4_813n],
    ]);
    expect(fees[0]?.description).toBe('Starter plan, 2026-11-01 to 2026-11-16');
    // Both plans' allowances count for their share: $5 x 370/720 + $5 x 350/720 = $5, none used.
    expect(invoice.lines.find((l) => l.kind === 'allowance')?.amountMinor).toBe(-0n);
    expect(invoice.totalMinor).toBe(1_490n + 4_813n);
  });

  it('charges no fee for a trial span, then the plan it ended into', () => {
    const end = at('2026-11-11T00:00:00Z');
    const invoice = buildInvoice({
      currency: 'USD',
      period: november,
      spans: [
        { plan: starter, fromMs: november.startMs, toMs: end, trial: true },
        { plan: starter, fromMs: end, toMs: november.endMs, trial: false },
      ],
      ...noUsage,
    });
    expect(invoice.lines.filter((l) => l.kind === 'plan_fee').map((l) => l.amountMinor)).toEqual([1_933n]);
  });

  it('rounds a million tiny charges once, into their sum, not a million zeros', () => {
    // 1,000,000 events of 4 tokens at $0.15 per million tokens: 0.6 micros each, $0.60 in all.
    const each = 4n * 150_000n; // picos
    let picos = 0n;
    for (let i = 0; i < 1_000_000; i++) picos += each;
    const invoice = buildInvoice({
      currency: 'USD',
      period: november,
      spans: [
        { plan: { ...starter, includedUsageMicros: 0n, markupBps: 0 }, fromMs: 0, toMs: november.endMs, trial: false },
      ],
      usage: [{ model: 'm-small', tokensIn: 4_000_000n, tokensOut: 0n, events: 1_000_000n, chargedPicos: picos }],
      boxTime: { seconds: 0n, amountMicros: 0n },
      credits: [],
    });
    const usage = invoice.lines.find((l) => l.kind === 'usage');
    expect(usage?.amountMinor).toBe(60n);
    expect(invoice.lines.some((l) => l.kind === 'overage')).toBe(false);
  });

  it('uses the allowance first, then marks up the overage; box time marked up; credits subtract', () => {
    const invoice = buildInvoice({
      currency: 'USD',
      period: november,
      spans: [{ plan: starter, fromMs: 0, toMs: november.endMs, trial: false }],
      usage: [
        { model: 'b-large', tokensIn: 1_000n, tokensOut: 0n, events: 1n, chargedPicos: 6_000_000_000_000n }, // $6
        { model: 'a-small', tokensIn: 1n, tokensOut: 1n, events: 1n, chargedPicos: 1_000_000_000_000n }, // $1
      ],
      boxTime: { seconds: 36_000n, amountMicros: 500_000n }, // 10 h, $0.50
      credits: [{ description: 'Goodwill credit', amountMicros: -2_000_000n }],
    });
    const byKind = invoice.lines.map((l) => [l.kind, l.amountMinor]);
    expect(byKind).toEqual([
      ['plan_fee', 2_900n],
      ['usage', 100n], // models in name order
      ['usage', 600n],
      ['allowance', -500n],
      ['overage', 40n], // 20% of $2 beyond the $5 included
      ['box_time', 60n], // $0.50 + 20%
      ['credit', -200n],
    ]);
    expect(invoice.lines.find((l) => l.kind === 'box_time')?.description).toBe('Box time: 10.00 hours (markup 20%)');
    expect(invoice.totalMinor).toBe(2_900n + 700n - 500n + 40n + 60n - 200n);
  });

  it('refuses to mix currencies', () => {
    expect(() =>
      buildInvoice({
        currency: 'EUR',
        period: november,
        spans: [{ plan: starter, fromMs: 0, toMs: november.endMs, trial: false }],
        ...noUsage,
      }),
    ).toThrow(RangeError);
  });

  it('totals are the sum of rounded lines, and a credit note cancels an invoice exactly (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 15n }), { maxLength: 5 }),
        fc.bigInt({ min: 0n, max: 10n ** 9n }),
        fc.integer({ min: 0, max: 10_000 }),
        (charges, included, markupBps) => {
          const invoice = buildInvoice({
            currency: 'USD',
            period: november,
            spans: [
              {
                plan: { ...starter, includedUsageMicros: included, markupBps },
                fromMs: 0,
                toMs: november.endMs,
                trial: false,
              },
            ],
            usage: charges.map((chargedPicos, i) => ({
              model: `m${i}`,
              tokensIn: 1n,
              tokensOut: 0n,
              events: 1n,
              chargedPicos,
            })),
            boxTime: { seconds: 0n, amountMicros: 0n },
            credits: [],
          });
          expect(invoice.totalMinor).toBe(invoice.lines.reduce((s, l) => s + l.amountMinor, 0n));
          const credit = creditNoteLines(invoice.lines);
          expect(credit.reduce((s, l) => s + l.amountMinor, 0n)).toBe(-invoice.totalMinor);
          // Usage net of the allowance is never negative, and the allowance never covers more than the usage.
          const usage = invoice.lines.filter((l) => l.kind === 'usage').reduce((s, l) => s + l.amountMinor, 0n);
          const allowance = invoice.lines.find((l) => l.kind === 'allowance')?.amountMinor ?? 0n;
          expect(-allowance <= usage + BigInt(charges.length)).toBe(true);
        },
      ),
    );
  });

  it('prints minor units with the currency’s digits', () => {
    expect(formatMinor(123_456n, 'USD')).toBe('1234.56');
    expect(formatMinor(-5n, 'EUR')).toBe('-0.05');
    expect(formatMinor(500n, 'JPY')).toBe('500');
  });
});
