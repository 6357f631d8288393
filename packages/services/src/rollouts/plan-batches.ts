/** Where each box of a rollout goes: the canary batch (0) first, then batches of `batchSize` in the given order. */
export interface PlannedBox {
  boxId: string;
  position: number;
  batch: number;
}

export function planBatches(boxIds: readonly string[], canarySize: number, batchSize: number): PlannedBox[] {
  if (!Number.isInteger(canarySize) || canarySize < 0) throw new RangeError('canarySize must be an integer >= 0');
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('batchSize must be an integer >= 1');
  const canary = Math.min(canarySize, boxIds.length);
  return boxIds.map((boxId, position) => ({
    boxId,
    position,
    // Without a canary the first batch is batch 1, so "batch 0" always means "the canary".
    batch: position < canary ? 0 : 1 + Math.floor((position - canary) / batchSize),
  }));
}

/** Whether the boxes finished so far stop the rollout: any canary failure, or `maxFailures` failures after it. */
export function stopReason(
  counts: { canaryFailed: number; failedAfterCanary: number },
  maxFailures: number,
): string | null {
  if (counts.canaryFailed > 0) return `the canary failed on ${counts.canaryFailed} box(es)`;
  if (counts.failedAfterCanary >= maxFailures) {
    return `${counts.failedAfterCanary} box(es) failed, the threshold is ${maxFailures}`;
  }
  return null;
}

/** The batch number of boxes that were unreachable when the rollout started: never deployed by it. */
export const OFFLINE_BATCH = -1;
