import { constants, existsSync } from 'node:fs';
import { type FileHandle, lstat, open, readlink, realpath } from 'node:fs/promises';
import { dirname, sep } from 'node:path';
import { AppError } from '@paddock/contracts';

/**
 * Opens a step's terminal log for reading, refusing anything that is not a regular file inside the run's directory.
 * The serve process runs as the runtime user and the run directory is the tenant's (any agent can swap a file or a
 * step directory for a symlink), while the names come from the control plane: a terminal stream must show that
 * run's log and nothing else the runtime user can read (another run's files, a file elsewhere on the box).
 *
 * The last component is opened with O_NOFOLLOW; the directories on the way are checked with lstat, and after the open
 * the kernel's own name of the open file (/proc/self/fd) must still lie inside the run's real directory, which closes
 * the window between those checks and the open. Undefined when there is no such file (yet).
 */
export async function openTerminalLog(runDir: string, path: string): Promise<FileHandle | undefined> {
  if (!path.startsWith(`${runDir}${sep}`)) throw refused(path);
  // Every directory between the run's and the file must be a real directory, not a link to elsewhere.
  for (let dir = dirname(path); dir.length > runDir.length; dir = dirname(dir)) {
    const info = await lstat(dir).catch(missingIsUndefined);
    if (!info) return undefined;
    if (!info.isDirectory()) throw refused(path);
  }
  let handle: FileHandle;
  try {
    // O_NONBLOCK: a FIFO put in the log's place must not hang the open.
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw refused(path);
    throw error;
  }
  try {
    const info = await handle.stat();
    // The runtime names a log twice at most (its attempt's name, and the step's usual name while it is the current
    // attempt's): more names mean a hard link someone made to a file that is not this log.
    if (!info.isFile() || info.nlink > 2) throw refused(path);
    const procName = `/proc/self/fd/${handle.fd}`;
    if (existsSync(procName)) {
      const [opened, realRun] = await Promise.all([readlink(procName), realpath(runDir)]);
      if (!opened.startsWith(`${realRun}${sep}`)) throw refused(path);
    }
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function refused(path: string): AppError {
  return new AppError('forbidden', `${path} is not a regular file inside its run: its terminal is not served`);
}

function missingIsUndefined(error: unknown): undefined {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  throw error;
}
