import type { PrismaClient } from '@paddock/db';
import type { BoxGateway } from '../boxes/box-gateway';
import type { ChangeFeed } from '../changes/change-feed';
import { toDecisionReply } from './decision-replies';
import { type DecisionReply, outputToJudge } from './list-decisions';
import { pendingDecisionRows } from './decision-rows';

/** The most pending decisions a stream follows at once (oldest first); a tenant with more sees them as others close. */
export const MAX_WATCHED_DECISIONS = 500;

export type PendingDecisionChange =
  | { type: 'pending'; decision: DecisionReply }
  | { type: 'closed'; id: string; status: string }
  | { type: 'idle' };

export interface WatchPendingDecisionsInput {
  tenantId: string;
  outputBytes: number;
  signal: AbortSignal;
  /** Longest quiet time before an `idle` change (a stream's keep-alive). */
  idleMs: number;
}

/**
 * Follows a tenant's pending decisions: every decision pending now, then each one that becomes pending, and each one
 * that stops being pending (answered here or on the box, canceled with its run) with its new status, until `signal`
 * aborts. Woken by the change feed (the collector's commit), it compares the pending set with what it already
 * emitted rather than reading from a timestamp: transactions commit out of creation order, a set does not care.
 */
export async function watchPendingDecisions(
  deps: { prisma: PrismaClient; boxes: BoxGateway; changes: ChangeFeed },
  input: WatchPendingDecisionsInput,
  emit: (change: PendingDecisionChange) => void,
): Promise<void> {
  const { prisma, boxes, changes } = deps;
  const emitted = new Set<string>();
  let quietSince = Date.now();
  // Watching before the first read: a decision committed while it runs wakes the loop again.
  const watch = changes.watch({ kind: 'decisions', tenantId: input.tenantId });
  try {
    while (!input.signal.aborted) {
      await readOnce();
      const idleLeft = Math.max(1, input.idleMs - (Date.now() - quietSince));
      await watch.next(idleLeft, input.signal);
    }
  } finally {
    watch.close();
  }

  async function readOnce(): Promise<void> {
    const rows = await pendingDecisionRows({ prisma }, input.tenantId, MAX_WATCHED_DECISIONS);
    const pending = new Set(rows.map((row) => row.id));
    const gone = [...emitted].filter((id) => !pending.has(id));
    if (gone.length > 0) {
      const closed = await prisma.decision.findMany({
        where: { tenantId: input.tenantId, id: { in: gone } },
        select: { id: true, status: true },
      });
      const statusOf = new Map(closed.map((row) => [row.id, row.status as string]));
      for (const id of gone) {
        emitted.delete(id);
        emit({ type: 'closed', id, status: statusOf.get(id) ?? 'deleted' });
      }
    }
    const fresh = rows.filter((row) => !emitted.has(row.id));
    const outputs = await Promise.all(fresh.map((row) => outputToJudge(boxes, row, input.outputBytes)));
    fresh.forEach((row, i) => {
      emitted.add(row.id);
      emit({ type: 'pending', decision: toDecisionReply(row, outputs[i]) });
    });
    if (gone.length > 0 || fresh.length > 0) quietSince = Date.now();
    else if (Date.now() - quietSince >= input.idleMs) {
      emit({ type: 'idle' });
      quietSince = Date.now();
    }
  }
}
