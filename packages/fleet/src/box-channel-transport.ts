import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { type BoxLayout, checkLayout, DEFAULT_BOX_LAYOUT, layoutPaths } from './deploy/box-layout';
import { type ShellCommand, sh } from './shell';
import type { RemoteProcess } from './ssh-connection';
import type { BoxTarget } from './ssh-options';
import type { SshPool } from './ssh-pool';

/**
 * One open `chainctl serve --stdio` process, wherever it runs: requests go to `stdin`, JSON lines come from
 * `stdout`. An SSH exec channel (production) and a local child process (tests, benchmarks) both fit.
 */
export interface ChannelTransport {
  readonly stdin: Writable;
  readonly stdout: Readable;
  /** Settles once the far end is gone: the process exited, the channel closed or the link dropped. */
  readonly closed: Promise<void>;
  /** The last bytes the server wrote on stderr, for error messages. */
  stderrTail(): string;
  /** Ends the far end; `closed` settles soon after. Safe to call twice. */
  close(): void;
}

export type OpenTransport = () => Promise<ChannelTransport>;

const STDERR_TAIL_BYTES = 2048;

function tailKeeper() {
  let tail = '';
  return {
    push(chunk: Buffer) {
      tail = (tail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    },
    text: () => tail,
  };
}

/** A `chainctl serve --stdio` child process on this machine (unit tests, benchmarks, a box-local collector). */
export function localProcessTransport(
  argv: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
) {
  const [command, ...args] = argv;
  if (!command) throw new Error('localProcessTransport: empty argv');
  return async (): Promise<ChannelTransport> => {
    const child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.env ? { env: options.env } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    const stderr = tailKeeper();
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // A write to a server that just died raises EPIPE on stdin: the `closed` path reports it, not a crash.
    child.stdin.on('error', () => {});
    const closed = new Promise<void>((resolve) => {
      child.once('close', () => resolve());
      child.once('error', () => resolve());
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    return {
      stdin: child.stdin,
      stdout: child.stdout,
      closed,
      stderrTail: stderr.text,
      close: () => {
        child.stdin.end();
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      },
    };
  };
}

/** What starts `chainctl serve --stdio` on a box installed with `layout` (the service wrapper runs it as the runtime user). */
export function boxServeCommand(layout: BoxLayout = DEFAULT_BOX_LAYOUT): ShellCommand {
  return sh`${layoutPaths(checkLayout(layout)).service} serve`;
}

/**
 * The serve process on a box, over the box's pooled SSH connection (one exec channel that stays open). The command
 * defaults to `boxServeCommand()`; another one is built through the quoting helper (`sh`).
 */
export function sshTransport(
  pool: SshPool,
  /** The target, or how to get it at each (re)open: a rotated key or moved address is picked up on reconnect. */
  target: BoxTarget | (() => Promise<BoxTarget> | BoxTarget),
  command: ShellCommand = boxServeCommand(),
) {
  return async (): Promise<ChannelTransport> => {
    const resolved = typeof target === 'function' ? await target() : target;
    const connection = await pool.connect(resolved);
    let remote: RemoteProcess;
    try {
      remote = await connection.spawn(command);
    } catch (error) {
      // The pool hands out its connection until it reads the link's close, which can come after the box dropped
      // it: a serve channel that failed to start only because it took that connection is started once more on the
      // fresh one the pool now dials (nothing was asked of the runtime yet). A live connection's refusal stands.
      if (connection.alive) throw error;
      remote = await (await pool.connect(resolved)).spawn(command);
    }
    const closed = remote.exited.then(() => undefined);
    remote.channel.on('error', () => {});
    return {
      stdin: remote.channel,
      stdout: remote.channel,
      closed,
      stderrTail: () => remote.stderrTail().slice(-STDERR_TAIL_BYTES),
      close: () => {
        remote.channel.end();
        remote.close();
      },
    };
  };
}
