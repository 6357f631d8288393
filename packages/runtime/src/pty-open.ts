import { closeSync, constants, openSync } from 'node:fs';
import { requireBinary } from '@lydell/node-pty/requireBinary';

/**
 * The native PTY binding of @lydell/node-pty, loaded here and only here (through the package's own platform
 * resolution, `@lydell/node-pty-<platform>-<arch>/pty.node`; a bundle keeps `@lydell/node-pty*` external beside it).
 *
 * We use its `open` (openpty, no fork) rather than node-pty's `spawn`: `spawn` forks the whole Node process for every
 * PTY, which measured ~3x the cost of a plain child process at 500-1000 concurrent steps. Opening the pair here and
 * starting the agent as a plain child on the slave costs one ioctl more than a plain process (see launch-agent.ts).
 */
let binding: ReturnType<typeof requireBinary> | undefined;

export function ptyBinding(): ReturnType<typeof requireBinary> {
  binding ??= requireBinary('pty.node');
  return binding;
}

export interface PtyPair {
  master: number;
  slave: number;
  path: string;
}

/**
 * Opens a PTY pair. The binding's descriptors are inheritable, and a slave fd inherited by any other child (a check
 * command, a fork server started later) keeps that terminal from ever reporting EIO, i.e. its capture from ever
 * knowing it has read everything. So the slave is reopened by path, close-on-exec like every fd Node opens.
 */
export function openPty(cols: number, rows: number): PtyPair {
  const { master, slave: inheritable, pty } = ptyBinding().open(cols, rows);
  let slave: number;
  try {
    slave = openSync(pty, constants.O_RDWR | constants.O_NOCTTY);
  } catch (error) {
    closeSync(master);
    throw error;
  } finally {
    closeSync(inheritable);
  }
  return { master, slave, path: pty };
}

/** For `chainctl health`: can this box open a PTY at all? */
export function checkPty(): { ok: boolean; error: string | null } {
  try {
    const pair = openPty(80, 24);
    closeSync(pair.master);
    closeSync(pair.slave);
    return { ok: true, error: null };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}
