import type { ServiceClients } from '../clients';

/**
 * Rows are read again from `evaluated_through - OVERLAP_MS`: a transaction that stamped `updated_at = now()` at its
 * start but committed after the previous round read is still seen (judging a scope twice is harmless; missing it
 * is not). Longer transactions than this do not write runs or steps (the collector's batches are short).
 */
export const OVERLAP_MS = 2 * 60_000;
/** A first round (no watermark yet) reads as far back as any detector looks. */
export const FIRST_ROUND_LOOKBACK_MS = 8 * 86_400_000;

export async function readWatermark(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  name: string,
  roundStart: Date,
): Promise<Date> {
  const row = await prisma.monitoringWatermark.findUnique({ where: { name } });
  return row
    ? new Date(row.evaluatedThrough.getTime() - OVERLAP_MS)
    : new Date(roundStart.getTime() - FIRST_ROUND_LOOKBACK_MS);
}

/** Moves forward only: a slow round finishing after a newer one never moves the watermark back. */
export async function advanceWatermark(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  name: string,
  through: Date,
): Promise<void> {
  await prisma.$executeRaw`
    INSERT INTO monitoring_watermarks (name, evaluated_through, rounds, updated_at)
    VALUES (${name}, ${through}, 1, now())
    ON CONFLICT (name) DO UPDATE
      SET evaluated_through = GREATEST(monitoring_watermarks.evaluated_through, EXCLUDED.evaluated_through),
          rounds = monitoring_watermarks.rounds + 1, updated_at = now()`;
}
