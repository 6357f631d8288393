import { watch } from 'node:fs';
import { runLayout } from './paths';
import { type LoadedRun, loadRun } from './read-run';

/** Resolves once the run is finished (a `finished` event) or, with `until`, once that predicate holds. */
export function waitForRun(
  root: string,
  runId: string,
  options: { timeoutMs?: number; until?: (run: LoadedRun) => boolean } = {},
): Promise<LoadedRun> {
  const until = options.until ?? ((run: LoadedRun) => run.state.finished);
  return new Promise((resolve, reject) => {
    let done = false;
    const check = () => {
      if (done) return;
      try {
        const run = loadRun(root, runId);
        if (until(run)) finish(() => resolve(run));
      } catch (error) {
        finish(() => reject(error));
      }
    };
    let watcher: ReturnType<typeof watch> | undefined;
    try {
      watcher = watch(runLayout(root, runId).eventsDir, () => check());
    } catch {
      watcher = undefined; // polling below still finds the end
    }
    const poll = setInterval(check, 250);
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => finish(() => reject(new Error(`timed out waiting for run ${runId}`))), options.timeoutMs);
    const finish = (settle: () => void) => {
      done = true;
      watcher?.close();
      clearInterval(poll);
      if (timer) clearTimeout(timer);
      settle();
    };
    check();
  });
}
