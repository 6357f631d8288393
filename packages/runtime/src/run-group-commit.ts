import { renameSync } from 'node:fs';
import { AppError } from '@paddock/contracts';
import { fsyncPath, fsyncPaths, syncFilesystem } from './durability';
import { appendJournalLines, type StoredEvent } from './event-store';
import { rootLayout } from './paths';
import { discardStaged, ensureDirOnce, forgetDir, type StagedRun } from './stage-run';

/** Makes a batch of staged runs' files durable (resolves once they are). */
export type RunBarrier = (root: string, batch: readonly StagedRun[]) => Promise<void>;

/** Batches at least this big use one syncfs; smaller ones fsync their own few files (see durability.ts). */
const SYNCFS_MIN_RUNS = 8;

export const defaultRunBarrier: RunBarrier = async (root, batch) => {
  if (batch.length >= SYNCFS_MIN_RUNS && (await syncFilesystem(rootLayout(root).root))) return;
  await fsyncPaths(batch.flatMap((run) => run.paths));
};

interface Pending {
  run: StagedRun;
  resolve: (created: StoredEvent) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit of run creation: runs staged while a commit is in flight wait for the next one, so a burst of a
 * thousand runs through `serve` costs a few barriers instead of a thousand fsyncs (measured at ~64 runs/s one at a
 * time). A commit, in this order:
 *   1. the barrier: every staged file and directory of the batch is durable;
 *   2. each staging directory is renamed into `runs/` (the run appears whole, `created` event included; a run id
 *      taken meanwhile refuses that run alone);
 *   3. one fsync of `runs/`: every rename of the batch is durable;
 *   4. the batch's journal lines in one append (how the daemon and subscribers hear of them);
 *   5. only then is each run answered.
 * So an answered run survives a crash (and a restarted daemon finds it by its directory even if its journal line was
 * lost), and a run that was not answered is either absent or whole: a kill leaves at most a staging directory.
 */
export class RunGroupCommit {
  private pending: Pending[] = [];
  private committing = false;

  constructor(
    private readonly root: string,
    private readonly barrier: RunBarrier = defaultRunBarrier,
  ) {}

  /** Resolves with the run's `created` event once the run is durable and published. */
  commit(run: StagedRun): Promise<StoredEvent> {
    return new Promise((resolve, reject) => {
      this.pending.push({ run, resolve, reject });
      if (this.committing) return;
      this.committing = true;
      // After this turn of the loop: the rest of a burst that arrived in the same read joins this batch.
      setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      await this.commitBatch(batch);
    }
    this.committing = false;
  }

  private async commitBatch(batch: Pending[]): Promise<void> {
    const { runsDir } = rootLayout(this.root);
    try {
      await this.barrier(
        this.root,
        batch.map((p) => p.run),
      );
    } catch (error) {
      for (const p of batch) {
        discardStaged(p.run.staging);
        p.reject(error);
      }
      return;
    }
    const published: Pending[] = [];
    for (const p of batch) {
      try {
        publish(p.run, runsDir);
        published.push(p);
      } catch (error) {
        discardStaged(p.run.staging);
        const code = (error as NodeJS.ErrnoException).code;
        p.reject(
          code === 'ENOTEMPTY' || code === 'EEXIST'
            ? new AppError('conflict', `run ${p.run.runId} already exists`)
            : error,
        );
      }
    }
    if (published.length === 0) return;
    try {
      await fsyncPath(runsDir);
    } catch (error) {
      // The runs are in place but their renames may not be durable: not answered as created. A daemon may still
      // pick them up (they are whole); the control plane hears the failure and can ask again under the same id.
      for (const p of published) p.reject(error);
      return;
    }
    try {
      appendJournalLines(
        this.root,
        published.map((p) => ({ runId: p.run.runId, file: p.run.created.file, ts: p.run.created.event.timestamp })),
      );
    } catch (error) {
      for (const p of published) p.reject(error);
      return;
    }
    for (const p of published) p.resolve(p.run.created);
  }
}

/** Renames the staged run into `runs/`, made once per process (again if a person removed it meanwhile). */
function publish(run: StagedRun, runsDir: string): void {
  ensureDirOnce(runsDir);
  try {
    renameSync(run.staging, run.dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    forgetDir(runsDir);
    ensureDirOnce(runsDir);
    renameSync(run.staging, run.dir);
  }
}
