import { billableIntervals, meterBoxTime as meter, PriceIndex, type ServerTypePrice } from '@paddock/billing';
import type { ServiceClients } from '../clients';

/**
 * Statuses in which a box exists at its provider and so costs its hourly price: from the moment the provider is
 * asked to make it (`creating`) until it is gone (`destroyed`), unreachable and suspended-tenant time included (the
 * machine still exists). `pending` (not asked yet) and `failed` (never made, or made and cleaned up) do not count.
 */
const NOT_BILLABLE = new Set(['pending', 'destroyed', 'failed']);
export const isBillableBoxStatus = (status: string): boolean => !NOT_BILLABLE.has(status);

/** A box with no server type (a byo host, a local test box) is priced as the server type named this. */
export const DEFAULT_SERVER_TYPE = 'default';

const HOUR_MS = 3_600_000;

export interface BoxTimeResult {
  /** Cost entries written or corrected (an entry already on an invoice line is never changed). */
  entries: number;
  boxes: number;
  /** Billable milliseconds no server-type price covered (metered by a later call once a price is added). */
  unpricedMs: number;
}

/**
 * Meters box time in [from, to) into `cost_entries` (kind `box_time`), from the control plane's own status history
 * of each box (`box_status_changes`, written by a trigger on `boxes`), never from anything a box says. One entry per
 * box, UTC hour and price version (`box_time:<box>:<hour>:<price>`), so running it again (or concurrently) writes
 * nothing new; only whole hours before `now` are metered, and an entry not yet on an invoice line is corrected if
 * the history changed. The invoice close calls this for the month before it sums the month's entries.
 */
export async function meterBoxTime(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  period: { from: Date; to: Date },
  now: Date = new Date(),
): Promise<BoxTimeResult> {
  const to = new Date(Math.floor(Math.min(period.to.getTime(), now.getTime()) / HOUR_MS) * HOUR_MS);
  const from = period.from;
  if (to.getTime() <= from.getTime()) return { entries: 0, boxes: 0, unpricedMs: 0 };
  const boxes = await prisma.box.findMany({
    where: {
      tenantId: { not: null },
      createdAt: { lt: to },
      OR: [{ destroyedAt: null }, { destroyedAt: { gte: from } }],
    },
    select: { id: true, tenantId: true, provider: true, serverType: true },
  });
  const history = await prisma.boxStatusChange.findMany({
    where: { boxId: { in: boxes.map((b) => b.id) }, changedAt: { lt: to } },
    orderBy: [{ boxId: 'asc' }, { changedAt: 'asc' }, { id: 'asc' }],
    select: { boxId: true, status: true, changedAt: true },
  });
  const byBox = new Map<string, { status: string; at: Date }[]>();
  for (const change of history) {
    const list = byBox.get(change.boxId) ?? [];
    list.push({ status: change.status, at: change.changedAt });
    byBox.set(change.boxId, list);
  }
  const prices = new PriceIndex<ServerTypePrice>(
    (await prisma.serverTypePrice.findMany()).map((p) => ({ ...p, provider: p.provider as string })),
    (p) => priceKey(p.provider, p.serverType),
  );

  let entries = 0;
  let unpricedMs = 0;
  for (const box of boxes) {
    const spans = billableIntervals(byBox.get(box.id) ?? [], isBillableBoxStatus, to);
    const versions = prices.versions(priceKey(box.provider, box.serverType ?? DEFAULT_SERVER_TYPE));
    const metered = meter(spans, versions, { from, to });
    unpricedMs += metered.unpricedMs;
    if (metered.pieces.length === 0) continue;
    const sourceKeys = metered.pieces.map((p) => `box_time:${box.id}:${p.hour.toISOString()}:${p.price.id}`);
    entries += await prisma.$executeRaw`
      INSERT INTO cost_entries (tenant_id, box_id, kind, description, quantity, unit, amount_micros, currency,
                                source_key, occurred_at)
      SELECT ${box.tenantId}::uuid, ${box.id}::uuid, 'box_time'::cost_kind, u.description, u.ms, 'ms', u.micros,
             u.currency, u.source_key, u.hour
        FROM unnest(${metered.pieces.map((p) => `Box time, ${box.serverType ?? DEFAULT_SERVER_TYPE}, ${p.start.toISOString()} to ${p.end.toISOString()}`)}::text[],
                    ${metered.pieces.map((p) => p.ms)}::bigint[],
                    ${metered.pieces.map((p) => p.amountMicros.toString())}::bigint[],
                    ${metered.pieces.map((p) => p.price.currency)}::text[], ${sourceKeys}::text[],
                    ${metered.pieces.map((p) => p.hour.toISOString())}::timestamptz[])
             AS u(description, ms, micros, currency, source_key, hour)
      ON CONFLICT (source_key) DO UPDATE
         SET quantity = EXCLUDED.quantity, amount_micros = EXCLUDED.amount_micros, description = EXCLUDED.description
       WHERE cost_entries.invoice_line_id IS NULL
         AND (cost_entries.quantity, cost_entries.amount_micros) IS DISTINCT FROM (EXCLUDED.quantity, EXCLUDED.amount_micros)`;
  }
  return { entries, boxes: boxes.length, unpricedMs };
}

function priceKey(provider: string, serverType: string): string {
  return `${provider}\u0000${serverType}`;
}
