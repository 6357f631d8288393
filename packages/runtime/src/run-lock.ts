import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { AppError } from '@paddock/contracts';

const LOCK_WAIT_MS = 10_000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock once; false when another live process holds it. A lock whose holder died is broken. */
export function tryTakeLock(lockFile: string): boolean {
  try {
    const fd = openSync(lockFile, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  let holder = Number.NaN;
  try {
    holder = Number(readFileSync(lockFile, 'utf8'));
  } catch {
    return false; // released between our open and read: try again
  }
  // A holder writes its pid right after creating the file; an empty file younger than a moment is a holder mid-write.
  if (Number.isInteger(holder) && holder > 0 && !isAlive(holder)) rmSync(lockFile, { force: true });
  return false;
}

/**
 * Per-run writer lock (like git's index.lock): every process that appends events to a run (the daemon, `chainctl
 * decide`, `replay`, ...) holds it while it picks the next seq and renames the event in, so seqs never collide and
 * check-then-write decisions (a second decision, a decision after its timeout) are race-free.
 */
export async function withRunLock<T>(lockFile: string, body: () => Promise<T> | T): Promise<T> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  let delay = 1;
  while (!tryTakeLock(lockFile)) {
    if (Date.now() > deadline) {
      throw new AppError('conflict', `run is locked by another process (${lockFile}); retry, or remove it if stale`);
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 20);
  }
  try {
    return await body();
  } finally {
    rmSync(lockFile, { force: true });
  }
}

export function releaseLock(lockFile: string): void {
  rmSync(lockFile, { force: true });
}
