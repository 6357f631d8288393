import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadChainText } from './chain-files';
import { readJournal } from './journal';
import { rootLayout } from './paths';
import { expectWhole, ONE_STEP_CHAIN } from './run-creation-test-support';
import { defaultRunBarrier, type RunBarrier, RunGroupCommit } from './run-group-commit';
import { type StagedRun, stageRun } from './stage-run';
import { type TempBox, tempBox } from './test-support';

let box: TempBox;
afterEach(() => box?.cleanup());

const CHAIN = ONE_STEP_CHAIN;

function journalRuns(root: string): string[] {
  return readJournal(root, 0).entries.map((e) => `${e.run}/${e.file}`);
}

/** The default barrier, recording each batch and checking that none of its runs is visible while it runs. */
function watchedBarrier(log: { batches: number[]; answeredDuring: number }, answered: () => number): RunBarrier {
  return async (root, batch) => {
    for (const run of batch) expect(existsSync(run.dir)).toBe(false);
    const before = answered();
    await defaultRunBarrier(root, batch);
    log.answeredDuring += answered() - before;
    log.batches.push(batch.length);
  };
}

describe('run creation group commit', () => {
  it('commits a burst of concurrent creations with a few barriers, each run answered only once durable and whole', async () => {
    box = tempBox();
    const loaded = loadChainText(CHAIN, join(box.dir, 'chain.yaml'));
    let answered = 0;
    const log = { batches: [] as number[], answeredDuring: 0 };
    const commit = new RunGroupCommit(
      box.root,
      watchedBarrier(log, () => answered),
    );
    const ids = Array.from({ length: 200 }, (_, i) => `g${i}`);
    // Staged in slices between turns of the loop, as serve reads a burst chunk by chunk.
    const results: Promise<unknown>[] = [];
    for (let i = 0; i < ids.length; i += 40) {
      for (const id of ids.slice(i, i + 40)) {
        results.push(commit.commit(stageRun(box.root, loaded, [], id)).then(() => answered++));
      }
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(results);
    expect(answered).toBe(200);
    expect(log.batches.reduce((a, b) => a + b, 0)).toBe(200);
    // Group commit: far fewer barriers than runs (one per slice at most, fewer when slices joined a waiting batch).
    expect(log.batches.length).toBeLessThanOrEqual(6);
    // No run was answered while a barrier was still making it durable.
    expect(log.answeredDuring).toBe(0);
    for (const id of ids) expectWhole(box.root, id);
    expect(journalRuns(box.root).sort()).toEqual(ids.map((id) => `${id}/000001-_run.created.json`).sort());
    expect(readdirSync(rootLayout(box.root).incomingDir)).toEqual([]);
  });

  it('refuses a run id taken in the same batch alone, and leaves no staging behind', async () => {
    box = tempBox();
    const loaded = loadChainText(CHAIN, join(box.dir, 'chain.yaml'));
    const commit = new RunGroupCommit(box.root);
    const outcomes = await Promise.allSettled([
      commit.commit(stageRun(box.root, loaded, [], 'twice')),
      commit.commit(stageRun(box.root, loaded, [], 'twice')),
      commit.commit(stageRun(box.root, loaded, [], 'once')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'conflict' });
    expectWhole(box.root, 'twice');
    expectWhole(box.root, 'once');
    expect(journalRuns(box.root)).toEqual(['twice/000001-_run.created.json', 'once/000001-_run.created.json']);
    expect(readdirSync(rootLayout(box.root).incomingDir)).toEqual([]);
  });

  it('publishes nothing of a batch whose barrier failed', async () => {
    box = tempBox();
    const loaded = loadChainText(CHAIN, join(box.dir, 'chain.yaml'));
    const staged: StagedRun[] = [];
    const commit = new RunGroupCommit(box.root, async () => {
      throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
    });
    const outcomes = await Promise.allSettled(
      ['f1', 'f2'].map((id) => {
        const run = stageRun(box.root, loaded, [], id);
        staged.push(run);
        return commit.commit(run);
      }),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    for (const run of staged) expect(existsSync(run.dir)).toBe(false);
    expect(existsSync(rootLayout(box.root).journalFile)).toBe(false);
    expect(readdirSync(rootLayout(box.root).incomingDir)).toEqual([]);
  });
});
