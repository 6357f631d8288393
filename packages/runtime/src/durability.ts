import { execFile } from 'node:child_process';
import { close, fsync, open } from 'node:fs';

/**
 * Making many new files durable at once (run creation's group commit, run-group-commit.ts).
 *
 * POSIX only promises a file's bytes and its directory entry after fsync of the file and of its directory; a run is
 * ~8 files and directories, so a burst of a thousand runs would take ~8,000 fsyncs (measured ~0.75 ms each on ext4
 * whatever the concurrency, and each one stalls other metadata operations on the filesystem meanwhile). One
 * syncfs(2) of the filesystem makes everything written so far durable with one journal commit; Node has no binding
 * for it, so it is coreutils' `sync -f DIR` in a child (a few ms, off the event loop). It also flushes whatever else
 * is dirty on that filesystem (an agent's large terminal log), so only bursts use it: a lone run fsyncs its own files.
 */

/** fsyncs every path (files and directories), concurrently in the thread pool; rejects with the first failure. */
export function fsyncPaths(paths: readonly string[]): Promise<void> {
  return Promise.all(paths.map(fsyncPath)).then(() => undefined);
}

export function fsyncPath(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // Read-only: a directory cannot be opened for writing, and fsync needs no write access on Linux.
    open(path, 'r', (openError, fd) => {
      if (openError) return reject(openError);
      fsync(fd, (syncError) =>
        close(fd, (closeError) => ((syncError ?? closeError) ? reject(syncError ?? closeError) : resolve())),
      );
    });
  });
}

/** Whether `sync -f` worked here before (undefined: not tried yet). An old coreutils without -f falls back to fsyncs. */
let syncfsWorks: boolean | undefined;

/**
 * syncfs(2) of the filesystem holding `dir`; resolves false (nothing done) when `sync -f` is not available, so the
 * caller fsyncs its files instead.
 */
export function syncFilesystem(dir: string): Promise<boolean> {
  if (syncfsWorks === false) return Promise.resolve(false);
  return new Promise((resolve, reject) => {
    execFile('sync', ['-f', dir], { env: { PATH: '/usr/bin:/bin' } }, (error) => {
      if (!error) {
        syncfsWorks = true;
        return resolve(true);
      }
      // Once it worked, a failure is a real I/O error (EIO from the flush): the batch must not be answered as durable.
      if (syncfsWorks) return reject(error);
      syncfsWorks = false;
      resolve(false);
    });
  });
}
