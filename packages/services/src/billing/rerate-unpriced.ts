import { chargedMicros, differsTooMuch, type ModelPrice, PriceIndex, rateUsage } from '@paddock/billing';
import { Prisma, type PrismaClient } from '@paddock/db';

type Db = PrismaClient | Prisma.TransactionClient;

const BATCH = 2_000;
const PG_BIGINT_MAX = 9_223_372_036_854_775_807n;

interface Candidate {
  id: bigint;
  model: string;
  tokens_in: number;
  tokens_out: number;
  tokens_cached_in: number;
  reported: bigint;
  occurred_at: Date;
  run_id: string | null;
  step_name: string | null;
  attempt: number | null;
}

/**
 * Prices unpriced usage of `models` (all models when omitted) wherever a price now covers it: each event at the
 * version in force when its step finished, exactly as ingestion would have. Only periods with no issued invoice
 * are touched (an `open` or `paid` invoice of the event's tenant covering its instant): an issued invoice is never
 * changed, so such usage stays unpriced and listed. The run and step totals that summed these events (as 0) gain
 * their charge in the same transaction. Answers how many events were priced.
 *
 * Runs in the caller's transaction; rows are locked (`FOR UPDATE SKIP LOCKED`), so two re-ratings at once never
 * price one event twice, and `rating = 'unpriced'` is checked again by the UPDATE.
 */
export async function rerateUnpriced({ prisma: db }: { prisma: Db }, models?: string[]): Promise<number> {
  let total = 0;
  let after = 0n;
  for (;;) {
    const modelFilter = models ? Prisma.sql`AND e.model = ANY(${models}::text[])` : Prisma.sql`AND e.model IS NOT NULL`;
    const candidates = await db.$queryRaw<Candidate[]>`
      SELECT e.id, e.model, e.tokens_in, e.tokens_out, e.tokens_cached_in, e.reported_cost_micros AS reported,
             e.occurred_at, e.run_id::text AS run_id, e.step_name,
             CASE WHEN jsonb_typeof(e.payload -> 'attempt') = 'number' THEN (e.payload ->> 'attempt')::int END AS attempt
        FROM usage_events e
       WHERE e.rating = 'unpriced' ${modelFilter} AND e.id > ${after}
         AND NOT EXISTS (SELECT 1 FROM invoices i
                          WHERE i.tenant_id = e.tenant_id AND i.status IN ('issued', 'paid')
                            AND e.occurred_at >= i.period_start AND e.occurred_at < i.period_end)
       ORDER BY e.id
       LIMIT ${BATCH}
         FOR UPDATE OF e SKIP LOCKED`;
    if (candidates.length === 0) return total;
    after = candidates[candidates.length - 1]?.id ?? after;
    total += await priceCandidates(db, candidates);
    if (candidates.length < BATCH) return total;
  }
}

async function priceCandidates(db: Db, candidates: Candidate[]): Promise<number> {
  const prices = await loadPrices(db, [...new Set(candidates.map((c) => c.model))]);
  const priced: { c: Candidate; picos: bigint; micros: bigint; priceId: string; flagged: boolean }[] = [];
  for (const c of candidates) {
    const price = prices.at(c.model, c.occurred_at);
    const usage = { tokensIn: c.tokens_in, tokensOut: c.tokens_out, tokensCachedIn: c.tokens_cached_in };
    const rating = rateUsage(usage, price);
    if (rating.rating !== 'priced') continue;
    priced.push({
      c,
      picos: rating.chargedPicos,
      micros: chargedMicros(rating),
      priceId: rating.modelPriceId,
      flagged: differsTooMuch(BigInt(c.reported), rating.chargedPicos),
    });
  }
  if (priced.length === 0) return 0;
  const updated = await db.$executeRaw`
    UPDATE usage_events e
       SET rating = 'priced', charged_picos = u.picos, cost_micros = u.micros, model_price_id = u.price_id,
           cost_flagged = u.flagged
      FROM unnest(${priced.map((p) => p.c.id.toString())}::bigint[], ${priced.map((p) => p.picos.toString())}::bigint[],
                  ${priced.map((p) => p.micros.toString())}::bigint[], ${priced.map((p) => p.priceId)}::uuid[],
                  ${priced.map((p) => p.flagged)}::boolean[]) AS u(id, picos, micros, price_id, flagged)
     WHERE e.id = u.id AND e.rating = 'unpriced'`;
  await addToRunTotals(
    db,
    priced.map((p) => ({ ...p.c, micros: p.micros })),
  );
  return updated;
}

/**
 * The runs and step attempts that counted these events at 0 gain their charge (saturating like ingestion does).
 * Events not linked to a run yet are folded in at their (now priced) cost when their run is projected.
 */
async function addToRunTotals(db: Db, events: (Candidate & { micros: bigint })[]): Promise<void> {
  const linked = events.filter((e) => e.run_id !== null && e.micros > 0n);
  if (linked.length === 0) return;
  const runIds = linked.map((e) => e.run_id as string);
  const micros = linked.map((e) => e.micros.toString());
  await db.$executeRaw`
    UPDATE runs r SET cost_micros = LEAST(r.cost_micros::numeric + d.micros, ${PG_BIGINT_MAX.toString()}::numeric)::bigint
      FROM (SELECT run_id, sum(micros) AS micros FROM unnest(${runIds}::uuid[], ${micros}::bigint[]) AS u(run_id, micros)
             GROUP BY run_id) d
     WHERE r.id = d.run_id`;
  // A step row shows its attempt's usage; an event without an attempt belongs to the step's latest attempt.
  await db.$executeRaw`
    UPDATE run_steps s SET cost_micros = LEAST(s.cost_micros::numeric + d.micros, ${PG_BIGINT_MAX.toString()}::numeric)::bigint
      FROM (SELECT u.run_id, u.name,
                   COALESCE(u.attempt, (SELECT max(attempt) FROM run_steps m WHERE m.run_id = u.run_id AND m.name = u.name))
                     AS attempt,
                   sum(u.micros) AS micros
              FROM unnest(${runIds}::uuid[], ${linked.map((e) => e.step_name ?? '')}::text[],
                          ${linked.map((e) => e.attempt)}::int[], ${micros}::bigint[]) AS u(run_id, name, attempt, micros)
             GROUP BY 1, 2, 3) d
     WHERE s.run_id = d.run_id AND s.name = d.name AND s.attempt = d.attempt`;
}

async function loadPrices(db: Db, models: string[]): Promise<PriceIndex<ModelPrice>> {
  const rows = await db.modelPrice.findMany({ where: { model: { in: models } } });
  return new PriceIndex(
    rows.map((r) => ({
      id: r.id,
      model: r.model,
      currency: r.currency,
      inputMicrosPerMillion: r.inputMicrosPerMillion,
      outputMicrosPerMillion: r.outputMicrosPerMillion,
      cachedInputMicrosPerMillion: r.cachedInputMicrosPerMillion,
      effectiveFrom: r.effectiveFrom,
    })),
    (p) => p.model,
  );
}
