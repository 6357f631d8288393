/**
 * Price versions and the choice of the one in force at an instant. A price is never edited once used: a new version
 * with a later `effectiveFrom` supersedes it, so every instant has at most one price per model (or server type) and
 * currency, and a rating can always be explained by the version it names.
 */

/** Currencies the price book accepts (ISO 4217). Anything else is refused: a typo must not become a price. */
export const PRICE_CURRENCIES = ['USD', 'EUR', 'GBP', 'CHF', 'CAD', 'AUD', 'JPY'] as const;
export type PriceCurrency = (typeof PRICE_CURRENCIES)[number];

export function isPriceCurrency(value: string): value is PriceCurrency {
  return (PRICE_CURRENCIES as readonly string[]).includes(value);
}

/** A price a model's tokens cost from `effectiveFrom` until the next version of the same model and currency. */
export interface ModelPrice {
  id: string;
  model: string;
  currency: string;
  /** Micros of `currency` per million input tokens (not cached). */
  inputMicrosPerMillion: bigint;
  /** Micros per million output tokens. */
  outputMicrosPerMillion: bigint;
  /** Micros per million cached input tokens. */
  cachedInputMicrosPerMillion: bigint;
  effectiveFrom: Date;
}

/** What an hour of a provider's server type costs from `effectiveFrom`. */
export interface ServerTypePrice {
  id: string;
  provider: string;
  serverType: string;
  currency: string;
  /** Micros of `currency` per hour (what Paddock charges for the box's time). */
  microsPerHour: bigint;
  effectiveFrom: Date;
}

/**
 * Upper bound of any one price: $1,000 per million tokens or per hour (20x the dearest model today). Beyond it is a
 * typo, not a price. It also keeps one event's charge inside a BIGINT: at most 2 x 10^9 tokens (the box limits)
 * x 10^9 micros = 2 x 10^18 picos.
 */
export const MAX_PRICE_MICROS = 1_000_000_000n;

export interface PriceProblem {
  path: string;
  message: string;
}

/** Why a new price version cannot be stored (an empty list when it can). */
export function priceProblems(price: {
  currency: string;
  amounts: Record<string, bigint>;
  effectiveFrom: Date;
}): PriceProblem[] {
  const problems: PriceProblem[] = [];
  if (!isPriceCurrency(price.currency)) {
    problems.push({ path: 'currency', message: `unknown currency; one of ${PRICE_CURRENCIES.join(', ')}` });
  }
  for (const [path, amount] of Object.entries(price.amounts)) {
    if (amount < 0n) problems.push({ path, message: 'a price cannot be negative' });
    else if (amount > MAX_PRICE_MICROS) problems.push({ path, message: `at most ${MAX_PRICE_MICROS} micros` });
  }
  if (Number.isNaN(price.effectiveFrom.getTime())) problems.push({ path: 'effectiveFrom', message: 'not an instant' });
  return problems;
}

/**
 * The version in force at `at` among versions of ONE model (or server type) and currency: the latest whose
 * `effectiveFrom` is at or before `at`. Ties (two versions from the same instant) go to the later one in the list,
 * which callers order by creation; the database refuses such ties anyway.
 */
export function priceInForce<P extends { effectiveFrom: Date }>(versions: readonly P[], at: Date): P | null {
  const t = at.getTime();
  let found: P | null = null;
  for (const version of versions) {
    const from = version.effectiveFrom.getTime();
    if (from <= t && (found === null || from >= found.effectiveFrom.getTime())) found = version;
  }
  return found;
}

/**
 * Price versions grouped by key (model, or provider + server type) and sorted by `effectiveFrom`, to answer many
 * "in force at" questions for one batch from one load.
 */
export class PriceIndex<P extends { effectiveFrom: Date }> {
  private readonly byKey = new Map<string, P[]>();

  constructor(versions: Iterable<P>, keyOf: (price: P) => string) {
    for (const version of versions) {
      const key = keyOf(version);
      const list = this.byKey.get(key);
      if (list) list.push(version);
      else this.byKey.set(key, [version]);
    }
    for (const list of this.byKey.values()) list.sort((a, b) => a.effectiveFrom.getTime() - b.effectiveFrom.getTime());
  }

  /** The version of `key` in force at `at` (binary search over the sorted versions). */
  at(key: string, at: Date): P | null {
    const list = this.byKey.get(key);
    if (!list) return null;
    const t = at.getTime();
    let lo = 0;
    let hi = list.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((list[mid] as P).effectiveFrom.getTime() <= t) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? null : (list[found] as P);
  }

  /** Every version of `key`, oldest first. */
  versions(key: string): readonly P[] {
    return this.byKey.get(key) ?? [];
  }
}
