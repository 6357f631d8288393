import { join } from 'node:path';
import type ssh2 from 'ssh2';
import { FleetError } from '../errors';
import type { LocalRelease } from '../release/build-release';
import { type ReleaseFile, storeObjectName } from '../release/release-manifest';
import type { SshConnection } from '../ssh-connection';
import type { BoxState } from './box-lock';

export interface UploadPlan {
  /** One entry per distinct store object the box lacks (two paths with one content upload once). */
  files: ReleaseFile[];
  bytes: number;
}

/** What the box lacks: content-store objects not there yet. A file uploaded whole before a drop is not sent again. */
export function planUpload(release: LocalRelease, state: BoxState): UploadPlan {
  const byObject = new Map<string, ReleaseFile>();
  for (const file of release.manifest.files) {
    const name = storeObjectName(file);
    if (!state.storeObjects.has(name) && !byObject.has(name)) byObject.set(name, file);
  }
  const files = [...byObject.values()];
  return { files, bytes: files.reduce((n, f) => n + f.size, 0) };
}

export interface UploadProgress {
  bytesSent: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}

/**
 * Sends the planned files over the connection's SFTP session into the deploy's incoming directory, several files at
 * a time and each with many requests in flight (ssh2 fastPut). Nothing here is trusted: the box hashes every file
 * before it enters the store. Files already there whole (from an attempt cut short) are skipped.
 */
export async function uploadMissingFiles(
  connection: SshConnection,
  release: LocalRelease,
  plan: UploadPlan,
  options: {
    incomingDir: string;
    partialUploads: Map<string, number>;
    concurrency?: number;
    onProgress?: (progress: UploadProgress) => void;
  },
): Promise<{ bytes: number; files: number }> {
  const todo = plan.files.filter((f) => options.partialUploads.get(storeObjectName(f)) !== f.size);
  if (todo.length === 0) return { bytes: 0, files: 0 };
  const sftp = await connection.sftp();
  const progress: UploadProgress = {
    bytesSent: 0,
    bytesTotal: todo.reduce((n, f) => n + f.size, 0),
    filesDone: 0,
    filesTotal: todo.length,
  };
  // Big files first: the long pole starts early and small files fill the gaps.
  const queue = [...todo].sort((a, b) => b.size - a.size);
  const worker = async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const remote = `${options.incomingDir}/${storeObjectName(file)}`;
      let counted = 0;
      await connection.track(() =>
        fastPut(connection, sftp, join(release.root, file.path), remote, (transferred) => {
          progress.bytesSent += transferred - counted;
          counted = transferred;
          options.onProgress?.(progress);
        }),
      );
      progress.filesDone++;
      options.onProgress?.(progress);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, todo.length) }, worker));
  return { bytes: progress.bytesTotal, files: todo.length };
}

function fastPut(
  connection: SshConnection,
  sftp: ssh2.SFTPWrapper,
  local: string,
  remote: string,
  step: (transferred: number) => void,
) {
  const boxId = connection.target.id;
  // ssh2's fastPut may never call back when the link dies mid-transfer: the connection's end settles it instead.
  const lost = connection.closed.then(() => {
    throw new FleetError('connection_lost', `Lost box ${boxId} while uploading ${remote}`, { boxId });
  });
  const put = new Promise<void>((resolve, reject) => {
    sftp.fastPut(local, remote, { concurrency: 64, chunkSize: 32_768, mode: 0o600, step: (t) => step(t) }, (error) => {
      if (!error) return resolve();
      // A dropped link fails pending SFTP requests a moment before the connection reports its close: wait for it.
      setTimeout(() => {
        reject(
          connection.alive
            ? new FleetError('exec_failed', `Upload of ${remote} to box ${boxId} failed: ${error.message}`, {
                boxId,
                cause: error,
              })
            : new FleetError('connection_lost', `Lost box ${boxId} while uploading ${remote}`, { boxId, cause: error }),
        );
      }, 100);
    });
  });
  lost.catch(() => {});
  return Promise.race([put, lost]);
}
