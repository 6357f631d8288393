import {
  chargedMicros,
  differsTooMuch,
  hasTokens,
  type ModelPrice,
  PriceIndex,
  type Rating,
  rateUsage,
  type TokenUsage,
} from '@paddock/billing';
import type { PoolClient } from 'pg';
import { SHARED_PRICE_BOOK_LOCK } from './price-book-lock';

/** The rating columns of one `usage_events` row (see migration 20261203135900_usage_rating_columns). */
export interface RatedColumns {
  tokensCachedIn: number;
  /** What the box said it cost (micros, as text): kept, never billed. */
  reportedCostMicros: string;
  /** The exact charge in picos, as text; null unless `rating` is `priced`. */
  chargedPicos: string | null;
  rating: Rating['rating'];
  modelPriceId: string | null;
  /** Reported and charged differ by more than the threshold: listed for operators. */
  costFlagged: boolean;
}

/** An event as rating reads it: its model and `data` (where a box may report cached input tokens). */
export interface RatableEvent {
  model: string | null;
  data: Record<string, unknown> | null;
}

/**
 * What rating needs of an event row (the collector's `EventRow` is one): the usage in its columns, the model and
 * when the step finished. Structural, so that this folder never imports the collector (the collector imports this).
 */
export interface RatableRow {
  model: string | null;
  tokensIn: number;
  tokensOut: number;
  /** In: the box's reported cost in micros. Out: the control plane's charge, rounded once (what totals sum). */
  costMicros: string;
  occurredAt: string;
  event: RatableEvent;
  rated?: RatedColumns;
}

/**
 * The prices a batch needs, loaded with ONE query (every version of the batch's models: the price book holds a few
 * per model), so ingestion stays one round trip away from a raw COPY however many events the batch has.
 */
export class BatchRater {
  private constructor(private readonly prices: PriceIndex<ModelPrice>) {}

  static async load(client: PoolClient, models: Iterable<string | null>): Promise<BatchRater> {
    const wanted = [...new Set([...models].filter((m): m is string => m !== null))];
    if (wanted.length === 0) return new BatchRater(new PriceIndex<ModelPrice>([], (p) => p.model));
    await client.query(SHARED_PRICE_BOOK_LOCK);
    const found = await client.query<{
      id: string;
      model: string;
      currency: string;
      input: string;
      output: string;
      cached: string;
      effective_from: Date;
    }>(
      `SELECT id, model, currency, input_micros_per_million::text AS input,
              output_micros_per_million::text AS output, cached_input_micros_per_million::text AS cached, effective_from
         FROM model_prices WHERE model = ANY($1::text[])`,
      [wanted],
    );
    const versions = found.rows.map((r) => ({
      id: r.id,
      model: r.model,
      currency: r.currency,
      inputMicrosPerMillion: BigInt(r.input),
      outputMicrosPerMillion: BigInt(r.output),
      cachedInputMicrosPerMillion: BigInt(r.cached),
      effectiveFrom: r.effective_from,
    }));
    return new BatchRater(new PriceIndex(versions, (p) => p.model));
  }

  /** The rating of `usage` of `model` at the price in force at `at` (when the step finished). */
  rate(model: string | null, at: Date, usage: TokenUsage): Rating {
    const price = model !== null && !Number.isNaN(at.getTime()) ? this.prices.at(model, at) : null;
    return rateUsage(usage, price);
  }

  /**
   * The control plane's figure for an attempt's whole usage as its event reports it (what a step row shows):
   * 0 while the model has no price.
   */
  attemptMicros(event: RatableEvent, at: Date, usage: { tokensIn: number; tokensOut: number }): bigint {
    return chargedMicros(this.rate(event.model, at, tokenUsage(usage, event)));
  }
}

/**
 * Rates a batch's event rows before they are inserted, in the batch's transaction: each row with tokens is priced
 * at the version of its model in force when the step finished (`occurredAt`), or marked unpriced. The box's cost
 * moves to `reportedCostMicros`; `costMicros` becomes the control plane's figure, so run totals and /v1/usage sum
 * what the control plane charges, never what the box says.
 *
 * Call it on rows after `suppressRepeatedAttemptUsage` (a kill's usage repeated on the retry is zero by then,
 * reported cost included) and before they are compared with stored ones: a row read twice is rated twice but
 * inserted, and so charged, once.
 */
export function rateEventRows(rater: BatchRater, rows: RatableRow[]): void {
  for (const row of rows) {
    const usage = tokenUsage(row, row.event);
    const reported = BigInt(row.costMicros);
    const rating = rater.rate(row.model, new Date(row.occurredAt), usage);
    row.rated = {
      tokensCachedIn: usage.tokensCachedIn,
      reportedCostMicros: reported.toString(),
      chargedPicos: rating.chargedPicos === null ? null : rating.chargedPicos.toString(),
      rating: rating.rating,
      modelPriceId: rating.modelPriceId,
      costFlagged: rating.chargedPicos !== null && differsTooMuch(reported, rating.chargedPicos),
    };
    row.costMicros = chargedMicros(rating).toString();
  }
}

function tokenUsage(usage: { tokensIn: number; tokensOut: number }, event: RatableEvent): TokenUsage {
  const full = { tokensIn: usage.tokensIn, tokensOut: usage.tokensOut, tokensCachedIn: 0 };
  return hasTokens(full) ? { ...full, tokensCachedIn: cachedInputTokens(event, usage.tokensIn) } : full;
}

const INT4_MAX = 2_147_483_647;

/**
 * Cached input tokens, where the box reports them: `data.cached_input_tokens` of the event (the event format has
 * no field of its own for them yet). Untrusted: a non-number or a negative is 0, and it never exceeds `tokensIn`
 * (a usage whose input tokens were zeroed as a repeated kill has no cached ones either).
 */
function cachedInputTokens(event: RatableEvent, tokensIn: number): number {
  const value = event.data?.cached_input_tokens;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return 0;
  return Math.min(Math.round(value), tokensIn, INT4_MAX);
}
