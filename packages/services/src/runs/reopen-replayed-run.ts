import type { ServiceClients } from '../clients';

/**
 * The run row as the box's `replayed` event (seq `replayedSeq`) leaves it: running again, not finished. Written here,
 * at once, because the collector folds the event in only when it next reads the box, and until then the row still
 * says `succeeded` with the old `finishedAt`: a client polling for completion after a replay would stop at once.
 *
 * Only while the collector has not applied that event yet (`last_event_seq` below it): the collector locks the row
 * while it writes a batch, so this waits for it and then sees whether the batch carried the event (then the row is
 * already the run's newer state, left alone). Applying the event later reopens the row the same way, so the two
 * agree.
 */
export async function reopenReplayedRun(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  runId: string,
  replayedSeq: number,
): Promise<void> {
  await prisma.run.updateMany({
    where: { id: runId, lastEventSeq: { lt: replayedSeq } },
    data: { status: 'running', finishedAt: null, durationMs: null, error: null },
  });
}
