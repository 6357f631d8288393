import { CLOSE_READER_APP } from './stream-usage-sums';
import type { ServiceClients } from '../clients';

export interface SettleOptions {
  /** Give up (the job retries later) when older transactions are still open after this long. */
  timeoutMs?: number;
  pollMs?: number;
}

/**
 * The instant up to which receipt is settled: every transaction of this database that started before it has ended,
 * so every usage row with `received_at` (its writer's transaction start) before it is visible now, and none can
 * appear later. Without the wait, a collector batch that started a moment before the cutoff and committed a moment
 * after the invoice was made would fall between this invoice and the next.
 *
 * Sessions of other roles show no `xact_start` here and are not waited for: every writer of usage is the app role.
 * Nor is another close's reader (it only reads, and holds its transaction for the whole close).
 */
export async function settledCutoff(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  options: SettleOptions = {},
): Promise<Date> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const pollMs = options.pollMs ?? 50;
  const [row] = await prisma.$queryRaw<Array<{ cutoff: Date }>>`SELECT clock_timestamp()::timestamptz(3) AS cutoff`;
  if (!row) throw new Error('settledCutoff: no clock');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [open] = await prisma.$queryRaw<Array<{ open: number }>>`
      SELECT count(*)::int AS open FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid()
         AND state <> 'idle' AND xact_start < ${row.cutoff}
         AND application_name <> ${CLOSE_READER_APP}`;
    if ((open?.open ?? 0) === 0) return row.cutoff;
    if (Date.now() > deadline) {
      throw new Error(`transactions older than the invoice cutoff ${row.cutoff.toISOString()} are still open`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
