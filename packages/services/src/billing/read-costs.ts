import { picosToMicros, picosToMinor, microsToMinor } from '@paddock/billing';
import type { COST_GROUPINGS } from '@paddock/contracts';
import { Prisma } from '@paddock/db';
import type { ServiceClients } from '../clients';

export type CostGrouping = (typeof COST_GROUPINGS)[number];

// Fixed SQL per grouping, chosen from this table, never interpolated from input. `e` is usage_events, `v` the run's
// chain version.
const KEY: Record<CostGrouping, Prisma.Sql> = {
  day: Prisma.sql`to_char(date_trunc('day', e.occurred_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')`,
  chain: Prisma.sql`e.chain_name`,
  chainVersion: Prisma.sql`e.chain_name || '@' || COALESCE(v.version::text, '?')`,
  step: Prisma.sql`e.chain_name || '/' || e.step_name`,
  model: Prisma.sql`e.model`,
  box: Prisma.sql`e.box_id::text`,
};

export interface CostGroup {
  key: string | null;
  currency: string;
  tokensIn: number;
  tokensOut: number;
  /** The control plane's charge: the exact pico sum rounded once to micros, and once to minor units. */
  chargedMicros: string;
  chargedMinor: number;
  /** What the boxes said the same usage cost (micros), never billed. */
  reportedMicros: string;
  events: number;
  /** Events with tokens on a model with no price (yet): not in the charge. */
  unpricedEvents: number;
}

interface GroupRow {
  key: string | null;
  currency: string;
  tokens_in: bigint;
  tokens_out: bigint;
  picos: string;
  reported: bigint;
  events: bigint;
  unpriced: bigint;
}

/**
 * Rated usage of one tenant (or all, for operators) in [from, to), grouped. Sums `charged_picos` exactly and rounds
 * once per figure shown (packages/billing's rule), by currency of the price that rated it. Box time is read from
 * `cost_entries` (it belongs to a box and a day, not to a chain).
 */
export async function readCostGroups(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  scope: { tenantId?: string },
  query: { from: Date; to: Date; groupBy: CostGrouping },
): Promise<CostGroup[]> {
  const tenant = scope.tenantId ? Prisma.sql`AND e.tenant_id = ${scope.tenantId}::uuid` : Prisma.empty;
  const version =
    query.groupBy === 'chainVersion'
      ? Prisma.sql`LEFT JOIN runs r ON r.id = e.run_id LEFT JOIN chain_versions v ON v.id = r.chain_version_id`
      : Prisma.sql`LEFT JOIN (SELECT NULL::int AS version) v ON false`;
  const rows = await prisma.$queryRaw<GroupRow[]>`
    SELECT ${KEY[query.groupBy]} AS key, COALESCE(p.currency, 'USD') AS currency,
           COALESCE(sum(e.tokens_in), 0)::bigint AS tokens_in, COALESCE(sum(e.tokens_out), 0)::bigint AS tokens_out,
           COALESCE(sum(e.charged_picos), 0)::text AS picos, COALESCE(sum(e.reported_cost_micros), 0)::bigint AS reported,
           count(*)::bigint AS events, count(*) FILTER (WHERE e.rating = 'unpriced')::bigint AS unpriced
      FROM usage_events e
      LEFT JOIN model_prices p ON p.id = e.model_price_id
      ${version}
     WHERE e.occurred_at >= ${query.from} AND e.occurred_at < ${query.to} ${tenant}
       AND (e.rating <> 'none' OR e.reported_cost_micros > 0)
     GROUP BY 1, 2
     ORDER BY sum(e.charged_picos) DESC NULLS LAST, 1`;
  return rows.map((r) => {
    const picos = BigInt(r.picos);
    return {
      key: r.key,
      currency: r.currency,
      tokensIn: Number(r.tokens_in),
      tokensOut: Number(r.tokens_out),
      chargedMicros: picosToMicros(picos).toString(),
      chargedMinor: Number(picosToMinor(picos, r.currency)),
      reportedMicros: r.reported.toString(),
      events: Number(r.events),
      unpricedEvents: Number(r.unpriced),
    };
  });
}

export interface BoxTimeGroup {
  key: string;
  currency: string;
  hours: number;
  chargedMicros: string;
  chargedMinor: number;
}

/** Box time charged in [from, to), by box or by UTC day (`cost_entries` of kind box_time). */
export async function readBoxTime(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  scope: { tenantId?: string },
  query: { from: Date; to: Date; groupBy: 'box' | 'day' },
): Promise<BoxTimeGroup[]> {
  const tenant = scope.tenantId ? Prisma.sql`AND tenant_id = ${scope.tenantId}::uuid` : Prisma.empty;
  const key =
    query.groupBy === 'box'
      ? Prisma.sql`box_id::text`
      : Prisma.sql`to_char(date_trunc('day', occurred_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')`;
  const rows = await prisma.$queryRaw<{ key: string; currency: string; ms: bigint; micros: bigint }[]>`
    SELECT ${key} AS key, currency, sum(quantity)::bigint AS ms, sum(amount_micros)::bigint AS micros
      FROM cost_entries
     WHERE kind = 'box_time' AND occurred_at >= ${query.from} AND occurred_at < ${query.to} ${tenant}
     GROUP BY 1, 2 ORDER BY 1`;
  return rows.map((r) => ({
    key: r.key,
    currency: r.currency,
    hours: Number(r.ms) / 3_600_000,
    chargedMicros: r.micros.toString(),
    chargedMinor: Number(microsToMinor(r.micros, r.currency)),
  }));
}
