import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isProcessAlive } from './daemon-state';
import { rootLayout } from './paths';

/**
 * Removes the staging directories (`.incoming/<run>.<pid>.<random>`, stage-run.ts) that a killed creator left
 * behind: such a run was never published nor answered, so nothing refers to it. A directory whose creator is still
 * alive is left alone (it may be committing right now). Returns how many were removed.
 */
export function clearIncoming(root: string): number {
  const { incomingDir } = rootLayout(root);
  let names: string[];
  try {
    names = readdirSync(incomingDir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const pid = Number(name.split('.').at(-2));
    if (!Number.isSafeInteger(pid) || pid <= 0 || isProcessAlive(pid)) continue;
    rmSync(join(incomingDir, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}
