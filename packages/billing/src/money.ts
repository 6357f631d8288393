/**
 * Money as integers. See README.md ("The rounding rule"): exact pico-unit sums, rounded once, half away from zero.
 */

/** 10^-6 of a currency's major unit. */
export type Micros = bigint;
/** 10^-12 of a currency's major unit: the exact cost of tokens at a per-million-token price in micros. */
export type Picos = bigint;
/** A currency's minor unit (cents for USD and EUR). */
export type Minor = bigint;

export const PICOS_PER_MICRO = 1_000_000n;
export const MICROS_PER_MAJOR = 1_000_000n;

/** Currencies with a minor unit other than 1/100 (ISO 4217). Everything else has two decimals. */
const MINOR_DIGITS: Readonly<Record<string, number>> = { JPY: 0, KRW: 0, BHD: 3, KWD: 3, OMR: 3, TND: 3 };

export function minorDigits(currency: string): number {
  return MINOR_DIGITS[currency.toUpperCase()] ?? 2;
}

/** How many micros one minor unit holds (10,000 for cents). */
export function microsPerMinor(currency: string): bigint {
  return MICROS_PER_MAJOR / 10n ** BigInt(minorDigits(currency));
}

/**
 * The one rounding: `numerator / denominator` rounded half away from zero. Every conversion to a coarser unit goes
 * through here, so the rule is written once.
 */
export function roundDiv(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new RangeError('roundDiv: division by zero');
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  // floor((2n + d) / 2d) is n/d rounded half up, exact for odd and even d alike.
  const rounded = (2n * n + d) / (2n * d);
  return negative ? -rounded : rounded;
}

export function picosToMicros(picos: Picos): Micros {
  return roundDiv(picos, PICOS_PER_MICRO);
}

export function microsToMinor(micros: Micros, currency: string): Minor {
  return roundDiv(micros, microsPerMinor(currency));
}

export function picosToMinor(picos: Picos, currency: string): Minor {
  return roundDiv(picos, PICOS_PER_MICRO * microsPerMinor(currency));
}

/** `amount` plus `bps` basis points (1500 = +15%), exact in the input's unit times 10,000, then rounded once. */
export function withMarkup(amount: bigint, bps: number): bigint {
  if (!Number.isInteger(bps)) throw new RangeError('withMarkup: bps must be an integer');
  return roundDiv(amount * BigInt(10_000 + bps), 10_000n);
}
