import type { BoxTime, Credit, ModelUsage, Period, PlanSpan } from '@paddock/billing';
import type { Tx } from './invoice-numbers';

/**
 * Which usage an invoice bills: what happened before the period's end and was *received* in `[from, through)`
 * (usage_events.received_at, cost_entries.created_at: both the writing transaction's start). The next invoice of the
 * tenant starts at this one's `through`, so late usage lands on the next period's invoice, never on two.
 */
export interface UsageWindow {
  tenantId: string;
  /** ISO instant, or `-infinity` for a tenant's first invoice. */
  from: string;
  through: Date;
}

export interface InvoiceInputs {
  currency: string;
  spans: PlanSpan[];
  usage: ModelUsage[];
  boxTime: BoxTime;
  credits: Credit[];
}

interface SpanRow {
  tenant_id: string;
  from_ms: number;
  to_ms: number | null;
  trial: boolean;
  code: string;
  name: string;
  currency: string;
  price_minor: number;
  included_usage_micros: bigint;
  usage_markup_bps: number;
}

/**
 * The inputs of `buildInvoice` for a page of tenants, in four queries whatever the page size: each sums its rows in
 * SQL (GROUP BY tenant and model), so memory holds one row per tenant and model, never an event.
 */
export async function loadInvoiceInputs(
  { prisma: tx }: { prisma: Tx },
  period: Period,
  windows: UsageWindow[],
): Promise<Map<string, InvoiceInputs>> {
  const ids = windows.map((w) => w.tenantId);
  const froms = windows.map((w) => w.from);
  const throughs = windows.map((w) => w.through.toISOString());
  const end = new Date(period.endMs);
  const inputs = new Map<string, InvoiceInputs>();
  for (const id of ids) {
    inputs.set(id, { currency: 'USD', spans: [], usage: [], boxTime: { seconds: 0n, amountMicros: 0n }, credits: [] });
  }
  const of = (tenantId: string): InvoiceInputs => {
    const found = inputs.get(tenantId);
    if (!found) throw new Error(`loadInvoiceInputs: a row of tenant ${tenantId}, not in the page`);
    return found;
  };

  for (const [tenantId, found] of await loadSpans({ prisma: tx }, period, ids)) Object.assign(of(tenantId), found);
  const usage = await tx.$queryRaw<
    Array<{ tenant_id: string; model: string; tokens_in: string; tokens_out: string; events: string; picos: string }>
  >`
    SELECT u.tenant_id::text AS tenant_id, coalesce(u.model, '') AS model,
           sum(u.tokens_in)::text AS tokens_in, sum(u.tokens_out)::text AS tokens_out,
           count(*)::text AS events, sum(u.charged_picos)::text AS picos
      FROM unnest(${ids}::uuid[], ${froms}::timestamptz[], ${throughs}::timestamptz[]) AS w(tenant_id, usage_from, usage_through)
      JOIN usage_events u ON u.tenant_id = w.tenant_id
     WHERE u.rating = 'priced' AND u.occurred_at < ${end}
       AND u.received_at >= w.usage_from AND u.received_at < w.usage_through
     GROUP BY 1, 2`;
  for (const row of usage) {
    of(row.tenant_id).usage.push({
      model: row.model,
      tokensIn: BigInt(row.tokens_in),
      tokensOut: BigInt(row.tokens_out),
      events: BigInt(row.events),
      chargedPicos: BigInt(row.picos),
    });
  }

  const costs = await tx.$queryRaw<
    Array<{ tenant_id: string; kind: string; description: string; seconds: string; micros: string }>
  >`
    SELECT c.tenant_id::text AS tenant_id, c.kind::text AS kind,
           CASE WHEN c.kind = 'adjustment' THEN c.description ELSE '' END AS description,
           sum(c.quantity)::text AS seconds, sum(c.amount_micros)::text AS micros
      FROM unnest(${ids}::uuid[], ${froms}::timestamptz[], ${throughs}::timestamptz[]) AS w(tenant_id, usage_from, usage_through)
      JOIN cost_entries c ON c.tenant_id = w.tenant_id
     WHERE c.kind IN ('box_time', 'adjustment') AND c.occurred_at < ${end}
       AND c.created_at >= w.usage_from AND c.created_at < w.usage_through
     GROUP BY 1, 2, 3
     ORDER BY 1, 2, 3`;
  for (const row of costs) {
    const target = of(row.tenant_id);
    if (row.kind === 'box_time') {
      target.boxTime = { seconds: BigInt(row.seconds), amountMicros: BigInt(row.micros) };
    } else {
      target.credits.push({ description: row.description, amountMicros: BigInt(row.micros) });
    }
  }
  return inputs;
}

/** Each tenant's plan spans overlapping the period (and the currency of its latest plan). */
export async function loadSpans(
  { prisma: tx }: { prisma: Tx },
  period: Period,
  ids: string[],
): Promise<Map<string, { currency: string; spans: PlanSpan[] }>> {
  const start = new Date(period.startMs);
  const end = new Date(period.endMs);
  const result = new Map<string, { currency: string; spans: PlanSpan[] }>();
  const of = (tenantId: string) => {
    let found = result.get(tenantId);
    if (!found) {
      found = { currency: 'USD', spans: [] };
      result.set(tenantId, found);
    }
    return found;
  };
  // A span ends where the next starts; a canceled one without an end (older rows, deletion) ends when canceled. A
  // trial span (one with a trial end, whatever its status now) is free and ends at its trial end at the latest, even
  // before the trial check has started the span after it.
  const spans = await tx.$queryRaw<SpanRow[]>`
    SELECT s.tenant_id::text AS tenant_id,
           (extract(epoch FROM s.started_at) * 1000)::float8 AS from_ms,
           (extract(epoch FROM least(
              coalesce(s.ended_at, CASE WHEN s.status = 'canceled' THEN s.canceled_at END, 'infinity'),
              coalesce(s.trial_ends_at, 'infinity')
            )) * 1000)::float8 AS to_ms,
           s.trial_ends_at IS NOT NULL AS trial,
           p.code, p.name, p.currency, p.price_minor, p.included_usage_micros, p.usage_markup_bps
      FROM subscriptions s JOIN plans p ON p.id = s.plan_id
     WHERE s.tenant_id = ANY(${ids}::uuid[])
       AND s.started_at < ${end}
       AND coalesce(s.ended_at, CASE WHEN s.status = 'canceled' THEN s.canceled_at END, 'infinity') > ${start}
     ORDER BY s.tenant_id, s.started_at`;
  for (const row of spans) {
    const target = of(row.tenant_id);
    target.currency = row.currency;
    target.spans.push({
      plan: {
        code: row.code,
        name: row.name,
        currency: row.currency,
        monthlyFeeMinor: BigInt(row.price_minor),
        includedUsageMicros: BigInt(row.included_usage_micros),
        markupBps: row.usage_markup_bps,
      },
      fromMs: Number(row.from_ms),
      // 'infinity' comes back as Infinity: the span runs past the period.
      toMs: row.to_ms === null || !Number.isFinite(Number(row.to_ms)) ? period.endMs : Number(row.to_ms),
      trial: row.trial,
    });
  }

  return result;
}
