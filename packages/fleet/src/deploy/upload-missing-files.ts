import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { FleetError } from '../errors';
import type { LocalRelease } from '../release/build-release';
import { type ReleaseFile, storeObjectName } from '../release/release-manifest';
import { type ShellCommand, sh } from '../shell';
import type { SshConnection } from '../ssh-connection';
import type { BoxState } from './box-lock';
import { canCompressUploads, compressedArchive } from './compressed-archive';
import { tarStream } from './tar-stream';

export interface UploadPlan {
  /** One entry per distinct store object the box lacks (two paths with one content upload once). */
  files: ReleaseFile[];
  bytes: number;
}

/** What the box lacks: content-store objects not there yet. */
export function planUpload(release: LocalRelease, state: BoxState): UploadPlan {
  const byObject = new Map<string, ReleaseFile>();
  for (const file of release.manifest.files) {
    const name = storeObjectName(file);
    if (!state.storeObjects.has(name) && !byObject.has(name)) byObject.set(name, file);
  }
  const files = [...byObject.values()];
  return { files, bytes: files.reduce((n, f) => n + f.size, 0) };
}

/** The files of a plan still to send: those that did not arrive whole before a dropped link. */
export function filesToSend(plan: UploadPlan, partialUploads: Map<string, number>): ReleaseFile[] {
  return plan.files.filter((f) => partialUploads.get(storeObjectName(f)) !== f.size);
}

/** A command to run on the box right after the upload, in the same exec (it saves a session setup per box). */
export interface AfterUpload {
  script: ShellCommand;
  timeoutMs: number;
  onStdout: (chunk: Buffer) => void;
  onStderr: (chunk: Buffer) => void;
}

export interface UploadProgress {
  bytesSent: number;
  bytesTotal: number;
}

/**
 * Sends the missing files as one tar stream on an SSH exec channel, extracted into the deploy's incoming directory.
 * Measured here against ssh2's SFTP (fastPut, 64 requests in flight) for 8 boxes x 128 MB: 11.5 vs 15.3 CPU
 * seconds in all, 3.4 vs 6.1 on the control plane, with no per-request round trips. When both ends have zstd, the
 * archive is compressed once per set of files and decompressed on the box (see compressed-archive.ts). Nothing sent
 * is trusted: the box hashes every file before it enters the store. Files that arrived whole before a dropped link
 * (their size is complete: tar writes in order) are not sent again.
 */
export async function uploadMissingFiles(
  connection: SshConnection,
  release: LocalRelease,
  plan: UploadPlan,
  options: {
    incomingDir: string;
    partialUploads: Map<string, number>;
    /** The box can decompress zstd (reported with its state). */
    boxHasZstd?: boolean;
    timeoutMs?: number;
    onProgress?: (progress: UploadProgress) => void;
    /**
     * Runs after the files arrived whole, in the same exec; the box then reports `@@step upload ok` itself. An
     * error of the script comes back as the upload's ExecError, its exit code intact.
     */
    afterUpload?: AfterUpload;
  },
): Promise<{ bytes: number; files: number; wireBytes: number }> {
  const todo = filesToSend(plan, options.partialUploads);
  if (todo.length === 0) return { bytes: 0, files: 0, wireBytes: 0 };
  const contentBytes = todo.reduce((n, f) => n + f.size, 0);
  const entries = todo.map((f) => ({
    name: storeObjectName(f),
    path: join(release.root, f.path),
    size: f.size,
    mode: 0o600,
  }));
  const compressed = options.boxHasZstd && canCompressUploads() ? await compressedArchive(entries) : undefined;
  const progress: UploadProgress = { bytesSent: 0, bytesTotal: compressed?.bytes ?? contentBytes };
  const counted = (n: number) => {
    progress.bytesSent += n;
    options.onProgress?.(progress);
  };
  const stream = compressed
    ? countBytes(createReadStream(compressed.path, { highWaterMark: 1 << 20 }), counted)
    : tarStream(entries, counted);
  const unpack = compressed
    ? sh`cd ${options.incomingDir} && zstd -q -d -c | tar -x --no-same-owner -f -`
    : sh`cd ${options.incomingDir} && tar -x --no-same-owner -f -`;
  const extract = sh`${spaceCheck(options.incomingDir, contentBytes)} && ${unpack}`;
  // Slow links get time in proportion to the bytes: five minutes plus one second per megabyte.
  const uploadTimeoutMs = options.timeoutMs ?? 300_000 + Math.ceil(progress.bytesTotal / 1_000);
  const then = options.afterUpload;
  const done = `files=${todo.length} bytes=${contentBytes} sent=${progress.bytesTotal}`;
  try {
    await connection.exec(
      then
        ? sh`${extract} || exit
echo ${`@@step upload ok ${done}`}
exec sh -c ${then.script.text} </dev/null`
        : extract,
      {
        stdin: stream,
        timeoutMs: uploadTimeoutMs + (then?.timeoutMs ?? 0),
        label: `upload ${todo.length} file(s) to ${options.incomingDir}${then ? ' and install' : ''}`,
        ...(then ? { onStdout: then.onStdout, onStderr: then.onStderr } : {}),
      },
    );
  } catch (error) {
    stream.destroy();
    if (error instanceof FleetError && !connection.alive) {
      throw new FleetError('connection_lost', `Lost box ${connection.target.id} during the upload`, {
        boxId: connection.target.id,
        cause: error,
      });
    }
    throw error;
  }
  return { bytes: contentBytes, files: todo.length, wireBytes: progress.bytesTotal };
}

/** Exit code of an upload refused for want of space (ENOSPC's number, as a hint to people reading logs). */
export const NO_SPACE_EXIT_CODE = 28;

/**
 * Refuses the upload before a byte is written when the files cannot fit where they land (plus 1 MiB for the
 * store's own writes): a full disk otherwise shows up as tar's "Wrote only 9728 of 10240 bytes" half-way through,
 * after filling what little space the box had left. The message says so in words an operator can act on.
 */
function spaceCheck(dir: string, bytes: number) {
  const needKb = Math.ceil(bytes / 1024) + 1024;
  return sh`{ free_kb=$(df -Pk -- ${dir} | awk 'NR == 2 { print $4 }'); [ "\${free_kb:-0}" -ge ${needKb} ] || { printf 'not enough disk space on the box: the release needs %s KiB in %s, %s KiB free\\n' ${needKb} ${dir} "\${free_kb:-0}" >&2; exit ${NO_SPACE_EXIT_CODE}; }; }`;
}

// Counts what is read as it is read: a 'data' listener on the file stream itself would start it flowing early.
function countBytes(stream: Readable, onBytes: (n: number) => void): Readable {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
  stream.on('error', (error) => counter.destroy(error));
  counter.on('close', () => stream.destroy());
  return stream.pipe(counter);
}
