import type { PrismaClient } from '@paddock/db';
import type { ChangeFeed } from '../changes/change-feed';
import { CHANGES_CHANNEL, topicKey } from '../changes/change-topics';
import { getRollout, type RolloutBoxView, type RolloutView } from './read-rollouts';
import type { ServiceClients } from '../clients';

/** Tells API processes that a rollout moved (a box claimed or finished, a status changed): streams re-read it. */
export async function notifyRolloutChanged(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  rolloutId: string,
): Promise<void> {
  await prisma.$executeRaw`SELECT pg_notify(${CHANGES_CHANNEL}, ${topicKey({ kind: 'rollout', rolloutId })})`;
}

const ENDED = new Set(['succeeded', 'halted', 'canceled']);

export type RolloutUpdate =
  | { type: 'rollout'; rollout: RolloutView & { boxes: RolloutBoxView[] } }
  | { type: 'keep_alive' };

/**
 * Follows one rollout: its state at once, then again each time it changes (woken by the change feed, re-read from
 * Postgres), until it ends or `signal` aborts. Nothing is sent when a wake-up changed nothing but a keep-alive.
 * Returns false when there is no such rollout.
 */
export async function watchRollout(
  deps: { prisma: PrismaClient; changes: ChangeFeed },
  input: { rolloutId: string; signal: AbortSignal; idleMs: number },
  emit: (update: RolloutUpdate) => void,
): Promise<boolean> {
  const watch = deps.changes.watch({ kind: 'rollout', rolloutId: input.rolloutId });
  try {
    let last = '';
    for (;;) {
      const rollout = await getRollout({ prisma: deps.prisma }, input.rolloutId);
      if (!rollout) return false;
      const { updatedAt: _ignored, ...compared } = rollout;
      const snapshot = JSON.stringify(compared);
      if (snapshot !== last) emit({ type: 'rollout', rollout });
      else emit({ type: 'keep_alive' });
      last = snapshot;
      if (ENDED.has(rollout.status) || input.signal.aborted) return true;
      await watch.next(input.idleMs, input.signal);
      if (input.signal.aborted) return true;
    }
  } finally {
    watch.close();
  }
}
