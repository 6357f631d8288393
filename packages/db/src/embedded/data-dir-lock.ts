import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '@paddock/contracts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One embedded server per data directory: PGlite has no locking of its own, and two processes writing one
 * directory corrupt it. A pid file taken with O_EXCL; a pid file left by a dead process is taken over.
 */
const lockedHere = new Set<string>();

export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, '.paddock-embedded.pid');
  if (lockedHere.has(path)) {
    throw new AppError(
      'conflict',
      `the embedded PostgreSQL data directory ${dataDir} is in use by process ${process.pid}; stop it first`,
    );
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      lockedHere.add(path);
      return () => {
        lockedHere.delete(path);
        rmSync(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(path, 'utf8'));
      if (Number.isInteger(holder) && holder > 0 && alive(holder)) {
        throw new AppError(
          'conflict',
          `the embedded PostgreSQL data directory ${dataDir} is in use by process ${holder}; stop it first`,
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new AppError('conflict', `could not lock the embedded PostgreSQL data directory ${dataDir}`);
}
