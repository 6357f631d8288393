/**
 * The lines of one tenant's invoice for one period, and its totals. Pure: the caller loads the plan spans, the
 * usage sums (SQL) and the credits; nothing here reads a clock or a database.
 *
 * Lines (README.md, "Invoice lines"):
 * - `plan_fee`, one per plan span in the period: the monthly fee times the span's share (proration.ts). A trial
 *   span has no fee.
 * - `usage`, one per model: the model's usage at the price book's price (the control plane's exact charges, summed
 *   in picos), i.e. pass-through.
 * - `allowance` (negative): the plan's included usage, prorated like the fee over the spans, used up to the usage.
 * - `overage`: the plan's markup on the usage beyond the allowance (absent when the plan is pass-through).
 * - `box_time`: the box hours' cost (the control plane's own box time records) with the same markup.
 * - `credit` (negative), one per credit an operator granted for the period.
 * Each line is exact until its amount, which is rounded once to minor units; the totals add the rounded lines, so
 * a reader can add up the invoice. Many tiny charges add up before rounding: a million events of 0.4 picos-worth of
 * cents are a line of their sum, never a million zeros.
 */
import { MICROS_PER_MAJOR, PICOS_PER_MICRO, microsPerMinor, roundDiv } from './money';
import { type Period, type ProrationBasis, periodShare } from './proration';

export type InvoiceLineKind = 'plan_fee' | 'usage' | 'allowance' | 'overage' | 'box_time' | 'credit';

export interface PlanTerms {
  code: string;
  name: string;
  currency: string;
  monthlyFeeMinor: bigint;
  includedUsageMicros: bigint;
  /** Markup on metered usage and box time in basis points (0 = pass-through). */
  markupBps: number;
}

export interface PlanSpan {
  plan: PlanTerms;
  fromMs: number;
  /** Exclusive; the period's end (or later) for a span still in force. */
  toMs: number;
  trial: boolean;
}

export interface ModelUsage {
  model: string;
  tokensIn: bigint;
  tokensOut: bigint;
  events: bigint;
  /** Exact charge at the price book's prices, 10^-12 of the currency. */
  chargedPicos: bigint;
}

export interface BoxTime {
  seconds: bigint;
  amountMicros: bigint;
}

export interface Credit {
  description: string;
  /** Negative for a credit; a positive adjustment is a charge. */
  amountMicros: bigint;
}

export interface InvoiceInput {
  currency: string;
  period: Period;
  basis?: ProrationBasis;
  spans: PlanSpan[];
  usage: ModelUsage[];
  boxTime: BoxTime;
  credits: Credit[];
}

export interface InvoiceLineDraft {
  kind: InvoiceLineKind;
  description: string;
  quantity: bigint;
  unit: string;
  /** Per unit, in micros (a token costs fractions of a cent): for a reader, the amount is what is charged. */
  unitPriceMicros: bigint;
  amountMinor: bigint;
  metadata: Record<string, string | number | boolean>;
}

export interface InvoiceDraft {
  lines: InvoiceLineDraft[];
  subtotalMinor: bigint;
  taxMinor: bigint;
  totalMinor: bigint;
}

const BPS = 10_000n;

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function buildInvoice(input: InvoiceInput): InvoiceDraft {
  const { currency, period } = input;
  const basis = input.basis ?? 'second';
  for (const span of input.spans) {
    if (span.plan.currency.toUpperCase() !== currency.toUpperCase()) {
      throw new RangeError(
        `buildInvoice: plan ${span.plan.code} is in ${span.plan.currency}, the invoice in ${currency}`,
      );
    }
  }
  const perMinor = microsPerMinor(currency);
  const picosPerMinor = perMinor * PICOS_PER_MICRO;
  const lines: InvoiceLineDraft[] = [];
  const spans = [...input.spans].sort((a, b) => a.fromMs - b.fromMs);

  // Every share of the period has the same denominator, so allowances of several spans add up exactly.
  let denominator = 1n;
  let allowanceMicrosScaled = 0n; // allowance x denominator
  for (const span of spans) {
    const share = periodShare(span, period, basis);
    denominator = share.denominator;
    if (share.numerator === 0n) continue;
    allowanceMicrosScaled += span.plan.includedUsageMicros * share.numerator;
    if (span.trial) continue;
    const from = Math.max(span.fromMs, period.startMs);
    const to = Math.min(span.toMs, period.endMs);
    lines.push({
      kind: 'plan_fee',
      description: `${span.plan.name} plan, ${isoDay(from)} to ${isoDay(to - 1)}`,
      quantity: 1n,
      unit: 'month',
      unitPriceMicros: span.plan.monthlyFeeMinor * perMinor,
      amountMinor: roundDiv(span.plan.monthlyFeeMinor * share.numerator, share.denominator),
      metadata: {
        plan: span.plan.code,
        basis,
        shareNumerator: share.numerator.toString(),
        shareDenominator: share.denominator.toString(),
      },
    });
  }
  // The plan in force at the end of the period sets the markup (the one whose terms the tenant agreed to last).
  const markupBps = BigInt(spans.at(-1)?.plan.markupBps ?? 0);

  const usage = [...input.usage].sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
  let usagePicos = 0n;
  for (const m of usage) {
    usagePicos += m.chargedPicos;
    const tokens = m.tokensIn + m.tokensOut;
    lines.push({
      kind: 'usage',
      description: `Model ${m.model}: ${m.tokensIn} input + ${m.tokensOut} output tokens`,
      quantity: tokens,
      unit: 'token',
      unitPriceMicros: tokens === 0n ? 0n : roundDiv(m.chargedPicos, tokens * PICOS_PER_MICRO),
      amountMinor: roundDiv(m.chargedPicos, picosPerMinor),
      metadata: {
        model: m.model,
        events: m.events.toString(),
        tokensIn: m.tokensIn.toString(),
        tokensOut: m.tokensOut.toString(),
        chargedPicos: m.chargedPicos.toString(),
      },
    });
  }

  // Compared in picos x denominator, exact: the allowance is a fraction of a fraction of a cent at worst.
  const usageScaled = usagePicos * denominator;
  const allowanceScaled = allowanceMicrosScaled * PICOS_PER_MICRO;
  const coveredScaled = minBig(usageScaled, allowanceScaled);
  if (allowanceScaled > 0n) {
    lines.push({
      kind: 'allowance',
      description: `Included usage: ${formatMicros(roundDiv(allowanceMicrosScaled, denominator))} ${currency}`,
      quantity: 1n,
      unit: 'allowance',
      unitPriceMicros: -roundDiv(coveredScaled, denominator * PICOS_PER_MICRO),
      amountMinor: -roundDiv(coveredScaled, denominator * picosPerMinor),
      metadata: { allowanceMicros: roundDiv(allowanceMicrosScaled, denominator).toString() },
    });
  }
  const overageScaled = usageScaled - coveredScaled;
  if (overageScaled > 0n && markupBps !== 0n) {
    lines.push({
      kind: 'overage',
      description: `Markup ${formatBps(markupBps)} on usage beyond the included amount`,
      quantity: 1n,
      unit: 'markup',
      unitPriceMicros: roundDiv(overageScaled * markupBps, denominator * BPS * PICOS_PER_MICRO),
      amountMinor: roundDiv(overageScaled * markupBps, denominator * BPS * picosPerMinor),
      metadata: { overagePicos: roundDiv(overageScaled, denominator).toString(), markupBps: Number(markupBps) },
    });
  }

  if (input.boxTime.seconds > 0n || input.boxTime.amountMicros !== 0n) {
    const hundredthsOfHour = roundDiv(input.boxTime.seconds * 100n, 3_600n);
    lines.push({
      kind: 'box_time',
      description: `Box time: ${formatHundredths(hundredthsOfHour)} hours${markupBps === 0n ? '' : ` (markup ${formatBps(markupBps)})`}`,
      quantity: input.boxTime.seconds,
      unit: 'second',
      unitPriceMicros:
        input.boxTime.seconds === 0n
          ? 0n
          : roundDiv(input.boxTime.amountMicros * (BPS + markupBps), BPS * input.boxTime.seconds),
      amountMinor: roundDiv(input.boxTime.amountMicros * (BPS + markupBps), BPS * perMinor),
      metadata: { costMicros: input.boxTime.amountMicros.toString(), markupBps: Number(markupBps) },
    });
  }

  for (const credit of input.credits) {
    lines.push({
      kind: 'credit',
      description: credit.description,
      quantity: 1n,
      unit: 'credit',
      unitPriceMicros: credit.amountMicros,
      amountMinor: roundDiv(credit.amountMicros, perMinor),
      metadata: {},
    });
  }

  const subtotalMinor = lines.reduce((sum, line) => sum + line.amountMinor, 0n);
  return { lines, subtotalMinor, taxMinor: 0n, totalMinor: subtotalMinor };
}

/**
 * A credit note's lines: the credited invoice's lines with their amounts negated, so the two add up to zero. The
 * issued invoice itself is never edited.
 */
export function creditNoteLines<L extends { amountMinor: bigint; unitPriceMicros: bigint }>(lines: L[]): L[] {
  return lines.map((line) => ({ ...line, amountMinor: -line.amountMinor, unitPriceMicros: -line.unitPriceMicros }));
}

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function formatMicros(micros: bigint): string {
  const negative = micros < 0n;
  const abs = negative ? -micros : micros;
  const major = abs / MICROS_PER_MAJOR;
  const cents = roundDiv(abs % MICROS_PER_MAJOR, 10_000n);
  // 0.995 rounds to 1.00: carry into the major unit.
  const [m, c] = cents === 100n ? [major + 1n, 0n] : [major, cents];
  return `${negative ? '-' : ''}${m}.${c.toString().padStart(2, '0')}`;
}

function formatBps(bps: bigint): string {
  return `${Number(bps) / 100}%`;
}

function formatHundredths(value: bigint): string {
  return `${value / 100n}.${(value % 100n).toString().padStart(2, '0')}`;
}
