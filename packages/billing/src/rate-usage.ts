import type { ModelPrice } from './prices';
import { type Micros, type Picos, PICOS_PER_MICRO, picosToMicros } from './money';

/** The usage of one step as the control plane keeps it (whole tokens; cached input is part of `tokensIn`). */
export interface TokenUsage {
  tokensIn: number;
  tokensOut: number;
  /** Of `tokensIn`, how many were served from the provider's cache (priced at the cached-input price). */
  tokensCachedIn: number;
}

export type Rating =
  /** No tokens: nothing to price. */
  | { rating: 'none'; chargedPicos: null; modelPriceId: null }
  | { rating: 'priced'; chargedPicos: Picos; modelPriceId: string; currency: string }
  /** Tokens on a model with no price in force: stored, listed for operators, priced when a price arrives. */
  | { rating: 'unpriced'; chargedPicos: null; modelPriceId: null };

export function hasTokens(usage: TokenUsage): boolean {
  return usage.tokensIn > 0 || usage.tokensOut > 0 || usage.tokensCachedIn > 0;
}

/**
 * The exact charge for `usage` at `price`: tokens x micros-per-million is picos (10^-12), an integer, so nothing is
 * rounded here. Cached tokens are counted out of `tokensIn` (a box reporting more cached than input tokens is held
 * to its input count: the books never charge more cached tokens than input tokens).
 */
export function tokenCostPicos(usage: TokenUsage, price: ModelPrice): Picos {
  const input = BigInt(Math.max(0, Math.trunc(usage.tokensIn)));
  const cached = BigInt(Math.max(0, Math.min(Math.trunc(usage.tokensCachedIn), Math.trunc(usage.tokensIn))));
  const output = BigInt(Math.max(0, Math.trunc(usage.tokensOut)));
  return (
    (input - cached) * price.inputMicrosPerMillion +
    cached * price.cachedInputMicrosPerMillion +
    output * price.outputMicrosPerMillion
  );
}

/** Rates one usage at the price in force for it (`null`: none is). */
export function rateUsage(usage: TokenUsage, price: ModelPrice | null): Rating {
  if (!hasTokens(usage)) return { rating: 'none', chargedPicos: null, modelPriceId: null };
  if (price === null) return { rating: 'unpriced', chargedPicos: null, modelPriceId: null };
  return {
    rating: 'priced',
    chargedPicos: tokenCostPicos(usage, price),
    modelPriceId: price.id,
    currency: price.currency,
  };
}

/** The figure one event shows as its cost (`cost_micros`): its exact charge rounded once. */
export function chargedMicros(rating: Rating): Micros {
  return rating.chargedPicos === null ? 0n : picosToMicros(rating.chargedPicos);
}

/** When a reported cost differs from the charge enough that an operator should look. */
export interface DifferenceThreshold {
  /** Relative difference, in basis points of the larger figure (1000 = 10%). */
  bps: bigint;
  /** Absolute difference in micros (10,000 = $0.01). */
  micros: Micros;
}

export const DEFAULT_DIFFERENCE_THRESHOLD: DifferenceThreshold = { bps: 1000n, micros: 10_000n };

/**
 * Whether what the box reported (`reportedMicros`) and what the control plane charges (`chargedPicos`) differ by
 * more than BOTH the relative and the absolute threshold: a 30% gap on a tenth of a cent is noise, a $5 gap on
 * $1,000 is rounding on the provider's side. Compared exactly in picos (no rounding).
 */
export function differsTooMuch(
  reportedMicros: Micros,
  chargedPicos: Picos,
  threshold: DifferenceThreshold = DEFAULT_DIFFERENCE_THRESHOLD,
): boolean {
  const reported = reportedMicros * PICOS_PER_MICRO;
  const gap = reported > chargedPicos ? reported - chargedPicos : chargedPicos - reported;
  const larger = reported > chargedPicos ? reported : chargedPicos;
  return gap > threshold.micros * PICOS_PER_MICRO && gap * 10_000n > threshold.bps * larger;
}
