import type { QuarantinedEvent } from '@paddock/contracts';
import type { ServiceClients } from '../clients';

export interface ListQuarantineInput {
  tenantId?: string | undefined;
  boxId?: string | undefined;
  reason?: string | undefined;
  limit: number;
  /** Rows older than this id (the previous page's `nextCursor`). */
  cursor?: string | undefined;
}

/**
 * Quarantined box events for operators, newest first, keyset-paged on the id (an index range per filter: the
 * (tenant_id, id) and (box_id, id) indexes). Operators see every tenant's: this is not a tenant route.
 */
export async function listQuarantine(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  input: ListQuarantineInput,
): Promise<{ events: QuarantinedEvent[]; nextCursor: string | null }> {
  const rows = await prisma.quarantinedEvent.findMany({
    where: {
      ...(input.tenantId ? { tenantId: input.tenantId } : {}),
      ...(input.boxId ? { boxId: input.boxId } : {}),
      ...(input.reason ? { reason: input.reason } : {}),
      ...(input.cursor ? { id: { lt: BigInt(input.cursor) } } : {}),
    },
    orderBy: { id: 'desc' },
    take: input.limit + 1,
  });
  const page = rows.slice(0, input.limit);
  const last = page[page.length - 1];
  return {
    events: page.map((row) => ({
      id: row.id.toString(),
      tenantId: row.tenantId,
      boxId: row.boxId,
      runtimeRunId: row.runtimeRunId,
      seq: row.seq === null ? null : row.seq.toString(),
      cursor: row.cursor,
      reason: row.reason,
      detail: row.detail,
      bytes: row.bytes.toString(),
      excerpt: row.excerpt,
      createdAt: row.createdAt.toISOString(),
    })),
    nextCursor: rows.length > input.limit && last ? last.id.toString() : null,
  };
}
