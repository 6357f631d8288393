import type { ServiceClients } from '../clients';

/**
 * Usage stored without a price (its model had none in force when the step finished), by model and UTC month, for
 * operators to add the missing price; adding it prices these events (`rerateUnpriced`). Found through the partial
 * index on unpriced events, so it costs nothing while there are none.
 */
export async function listUnpricedUsage({ prisma }: Pick<ServiceClients, 'prisma'>) {
  const rows = await prisma.$queryRaw<
    {
      model: string | null;
      month: string;
      events: bigint;
      tokens_in: bigint;
      tokens_out: bigint;
      tenants: bigint;
      reported: bigint;
      first_at: Date;
      last_at: Date;
    }[]
  >`
    SELECT model, to_char(date_trunc('month', occurred_at AT TIME ZONE 'UTC'), 'YYYY-MM') AS month,
           count(*)::bigint AS events, sum(tokens_in)::bigint AS tokens_in, sum(tokens_out)::bigint AS tokens_out,
           count(DISTINCT tenant_id)::bigint AS tenants, sum(reported_cost_micros)::bigint AS reported,
           min(occurred_at) AS first_at, max(occurred_at) AS last_at
      FROM usage_events WHERE rating = 'unpriced'
     GROUP BY 1, 2 ORDER BY 2 DESC, 3 DESC`;
  return {
    groups: rows.map((r) => ({
      model: r.model,
      month: r.month,
      events: Number(r.events),
      tokensIn: r.tokens_in.toString(),
      tokensOut: r.tokens_out.toString(),
      tenants: Number(r.tenants),
      reportedCostMicros: r.reported.toString(),
      firstAt: r.first_at.toISOString(),
      lastAt: r.last_at.toISOString(),
    })),
  };
}

/** Events whose reported cost and charge differ by more than the threshold, newest first, keyset-paged by id. */
export async function listFlaggedUsage(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  query: { limit: number; cursor?: string | undefined },
) {
  const rows = await prisma.usageEvent.findMany({
    where: { costFlagged: true, ...(query.cursor ? { id: { lt: BigInt(query.cursor) } } : {}) },
    orderBy: { id: 'desc' },
    take: query.limit + 1,
    select: {
      id: true,
      tenantId: true,
      boxId: true,
      runId: true,
      chainName: true,
      stepName: true,
      model: true,
      occurredAt: true,
      reportedCostMicros: true,
      costMicros: true,
    },
  });
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    events: page.map((r) => ({
      id: r.id.toString(),
      tenantId: r.tenantId,
      boxId: r.boxId,
      runId: r.runId,
      chainName: r.chainName,
      stepName: r.stepName,
      model: r.model,
      occurredAt: r.occurredAt.toISOString(),
      reportedCostMicros: r.reportedCostMicros.toString(),
      chargedMicros: r.costMicros.toString(),
    })),
    nextCursor: rows.length > query.limit && last ? last.id.toString() : null,
  };
}
