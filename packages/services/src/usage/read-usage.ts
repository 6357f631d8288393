import { Prisma } from '@paddock/db';
import type { ServiceClients } from '../clients';

export type UsageGrouping = 'day' | 'chain' | 'step' | 'model';

export interface UsageFigures {
  tokensIn: number;
  tokensOut: number;
  costMinor: number;
  costMicros: string;
  records: number;
}

export interface UsageGroup extends UsageFigures {
  key: string | null;
  chain?: string | null;
  step?: string | null;
}

export interface UsageCharge {
  kind: string;
  currency: string;
  amountMinor: number;
  amountMicros: string;
  entries: number;
}

export interface UsageReport {
  from: Date;
  to: Date;
  groupBy: UsageGrouping;
  currency: string;
  groups: UsageGroup[];
  totals: UsageFigures;
  charges: UsageCharge[];
}

// Boxes report model cost in US dollars (the runtime's `cost_usd`), kept as micro-dollars.
const USAGE_CURRENCY = 'USD';
// Micro-units per minor unit for two-decimal currencies (USD, EUR): 1 cent = 10,000 micro-dollars.
const MICROS_PER_MINOR = 10_000n;

// Fixed SQL per grouping: the grouping is chosen from this table, never interpolated from input.
const GROUP_COLUMNS: Record<UsageGrouping, Prisma.Sql> = {
  day: Prisma.sql`to_char(date_trunc('day', occurred_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS key, NULL::text AS chain, NULL::text AS step`,
  chain: Prisma.sql`chain_name AS key, chain_name AS chain, NULL::text AS step`,
  step: Prisma.sql`chain_name || '/' || step_name AS key, chain_name AS chain, step_name AS step`,
  model: Prisma.sql`model AS key, NULL::text AS chain, NULL::text AS step`,
};
const GROUP_BY: Record<UsageGrouping, Prisma.Sql> = {
  day: Prisma.sql`1`,
  chain: Prisma.sql`chain_name`,
  step: Prisma.sql`chain_name, step_name`,
  model: Prisma.sql`model`,
};

interface GroupRow {
  key: string | null;
  chain: string | null;
  step: string | null;
  tokens_in: bigint;
  tokens_out: bigint;
  cost_micros: bigint;
  records: bigint;
}

/** A group (kind null), or a charge: kind and currency, its sum in cost_micros and its entries in records. */
interface ReportRow extends GroupRow {
  kind: string | null;
  currency: string | null;
}

/**
 * Token and cost totals of the tenant's usage records (events the box reported with tokens or cost) in
 * [from, to), grouped by UTC day, chain, chain step or model; plus the costs attributed to the tenant in the period.
 */
export async function readUsage(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  tenantId: string,
  query: { from: Date; to: Date; groupBy: UsageGrouping },
): Promise<UsageReport> {
  // One statement for both parts of the report (one round trip): the groups (kind null), then the charges.
  const from = query.from.toISOString();
  const to = query.to.toISOString();
  const all = await prisma.$queryRaw<ReportRow[]>`
    SELECT ${GROUP_COLUMNS[query.groupBy]},
           COALESCE(SUM(tokens_in), 0)::bigint AS tokens_in,
           COALESCE(SUM(tokens_out), 0)::bigint AS tokens_out,
           COALESCE(SUM(cost_micros), 0)::bigint AS cost_micros,
           COUNT(*)::bigint AS records,
           NULL::text AS kind, NULL::text AS currency
      FROM usage_events
     WHERE tenant_id = ${tenantId}::uuid
       AND occurred_at >= ${from}::timestamptz AND occurred_at < ${to}::timestamptz
       AND (tokens_in > 0 OR tokens_out > 0 OR cost_micros > 0)
     GROUP BY ${GROUP_BY[query.groupBy]}
    UNION ALL
    SELECT NULL::text, NULL::text, NULL::text, 0::bigint, 0::bigint,
           SUM(amount_micros)::bigint, COUNT(*)::bigint, kind::text, currency::text
      FROM cost_entries
     WHERE tenant_id = ${tenantId}::uuid
       AND occurred_at >= ${from}::timestamptz AND occurred_at < ${to}::timestamptz
     GROUP BY kind, currency
     ORDER BY kind NULLS FIRST, currency, key NULLS LAST`;
  const rows = all.filter((row) => row.kind === null);
  const charges = all.filter((row): row is ReportRow & { kind: string; currency: string } => row.kind !== null);

  const groups = rows.map((row) => ({
    key: row.key,
    ...(query.groupBy === 'chain' || query.groupBy === 'step' ? { chain: row.chain } : {}),
    ...(query.groupBy === 'step' ? { step: row.step } : {}),
    ...figures(row.tokens_in, row.tokens_out, row.cost_micros, row.records),
  }));
  const sum = (pick: (row: GroupRow) => bigint) => rows.reduce((acc, row) => acc + BigInt(pick(row)), 0n);
  return {
    from: query.from,
    to: query.to,
    groupBy: query.groupBy,
    currency: USAGE_CURRENCY,
    groups,
    totals: figures(
      sum((r) => r.tokens_in),
      sum((r) => r.tokens_out),
      sum((r) => r.cost_micros),
      sum((r) => r.records),
    ),
    charges: charges.map((row) => ({
      kind: row.kind,
      currency: row.currency,
      amountMinor: microsToMinor(BigInt(row.cost_micros)),
      amountMicros: String(row.cost_micros),
      entries: Number(row.records),
    })),
  };
}

function figures(tokensIn: bigint, tokensOut: bigint, costMicros: bigint, records: bigint): UsageFigures {
  return {
    tokensIn: Number(tokensIn),
    tokensOut: Number(tokensOut),
    costMinor: microsToMinor(BigInt(costMicros)),
    costMicros: String(costMicros),
    records: Number(records),
  };
}

/** Rounded half up (away from zero for refunds), once, from the exact sum: summing rounded lines would drift. */
export function microsToMinor(micros: bigint): number {
  const sign = micros < 0n ? -1n : 1n;
  const abs = micros * sign;
  return Number(sign * ((abs + MICROS_PER_MINOR / 2n) / MICROS_PER_MINOR));
}
