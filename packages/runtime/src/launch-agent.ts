import { type ChildProcess, spawn } from 'node:child_process';
import type { ForkServer } from './fork-server';
import { appendFile as appendFileCb, closeSync, createWriteStream, type WriteStream } from 'node:fs';
import { promisify } from 'node:util';
import { ReadStream } from 'node:tty';
import { UsageScanner } from './usage';
import { drainAfterHangup } from './pty-drain';
import { openPty, type PtyPair } from './pty-open';

export interface LaunchSpec {
  /** The step's `run` line, interpreted by /bin/sh like a crontab or CI line. */
  command: string;
  cwd: string;
  env: Record<string, string>;
  /**
   * When set, the agent's stdin is this file (its `input`, its needs' outputs, or /dev/null), opened read-only onto fd
   * 0 while stdout and stderr stay the terminal: the agent reads to EOF and its output is still captured. Unset: the
   * live terminal is its stdin (`stdin: terminal`).
   */
  stdinFile?: string | undefined;
  ptyLog: string;
  cols?: number;
  rows?: number;
  idleTimeoutMs?: number | undefined;
  timeoutMs?: number | undefined;
  /** Called when the idle timeout or the step timeout fires, before the kill: the watchdog's `alert`. */
  onWatchdog?: (reason: 'idle' | 'timeout') => void;
}

export type KillReason = 'idle' | 'timeout' | 'cancel' | 'shutdown';

export interface AgentExit {
  exitCode: number | null;
  signal: string | null;
  killedBy: KillReason | null;
  /** Usage reported with `::usage {...}` lines on the terminal, summed. */
  usage: ReturnType<UsageScanner['total']>;
  bytes: number;
}

export interface RunningAgent {
  /** Resolves once the agent is forked (rejects if it could not be started). */
  started: Promise<{ pid: number; forkedAtMs: number }>;
  done: Promise<AgentExit>;
  kill(reason: KillReason): void;
  write(data: string | Buffer): void;
  /** Live terminal output (for attach); returns an unsubscribe function. */
  onData(listener: (chunk: Buffer) => void): () => void;
  /** Bytes of terminal output so far (= size of pty.log once flushed). */
  bytes(): number;
  /** Bytes already handed to the OS in pty.log (a reader of the file sees at least these). */
  flushedBytes(): number;
}

/** The callback API (no FileHandle, unlike fs/promises): an empty pty.log is created after every silent agent. */
const appendFile = promisify(appendFileCb);

const KILL_GRACE_MS = 500;
/** After the agent exits, how long without new output before we stop reading a terminal a background child holds. */
const DRAIN_AFTER_EXIT_MS = 200;
/** With no process of the agent left, how long without output we still wait for the terminal's EIO. */
const DRAIN_WITHOUT_HOLDER_MAX_MS = 10_000;

/** Starts the agent on an open PTY pair; resolves once it is forked (pid known). */
export type AgentSpawner = (
  pair: PtyPair,
  request: { command: string; cwd: string; env: Record<string, string>; stdinFile: string | undefined },
) => Promise<{
  pid: number;
  /** Epoch ms (sub-ms) at which the agent was forked. */
  forkedAtMs: number;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}>;

/**
 * Fallback spawner (no perl on the box): a plain Node child on the slave through `setsid --ctty`, so it leads its own
 * session with the PTY as controlling terminal. Costs a synchronous fork of the daemon per step (see fork-server.ts).
 */
export const nodeSpawner: AgentSpawner = async (pair, request) => {
  // The stdin redirect happens inside the session (after setsid took the terminal on fd 0): the path is passed in
  // the environment, never spliced into the script, so no file name can inject shell syntax.
  const script = request.stdinFile ? `exec 0<"$CHAIN_STDIN_FILE"\n${request.command}` : request.command;
  const env = request.stdinFile ? { ...request.env, CHAIN_STDIN_FILE: request.stdinFile } : request.env;
  let child: ChildProcess;
  try {
    child = spawn('setsid', ['--ctty', '/bin/sh', '-c', script], {
      stdio: [pair.slave, pair.slave, pair.slave],
      cwd: request.cwd,
      env,
    });
  } finally {
    closeSync(pair.slave);
  }
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: 127, signal: null }));
  });
  if (child.pid === undefined) throw new Error('could not start setsid');
  return { pid: child.pid, forkedAtMs: performance.timeOrigin + performance.now(), exit };
};

/**
 * Spawner through fork servers (round-robin over a small pool, so a burst of handoffs forks on both cores); the
 * daemon keeps the slave open until the agent exits (see fork-server.ts).
 */
export function forkServerSpawner(servers: ForkServer[]): AgentSpawner {
  let next = 0;
  return async (pair, request) => {
    const server = servers[next++ % servers.length] as ForkServer;
    try {
      const forked = await server.fork({ pts: pair.path, ...request });
      return {
        pid: forked.pid,
        forkedAtMs: forked.forkedAtMs,
        // Once the agent is gone, our slave fd is the last one: closing it lets the master read end with EIO.
        exit: forked.exit.finally(() => closeSync(pair.slave)),
      };
    } catch (error) {
      closeSync(pair.slave);
      throw error;
    }
  };
}

/**
 * Starts one agent in a real pseudo-terminal. The PTY pair is opened in-process (openpty, no fork) and the agent is a
 * plain child that leads its own session with the slave as stdin/stdout/stderr and controlling terminal (isatty()
 * is true, the size is set, job control and SIGHUP work, and its whole process group can be killed). Measured on 2
 * cores with 500 concurrent 3-step chains, node-pty's spawn (a fork of the whole Node process per PTY) was ~3x a
 * plain child process; opening the pair here costs one ioctl, and the fork itself is done by a small helper process
 * (fork-server.ts) so it neither blocks nor scales with the daemon (bench/benchmarks/runtime.ts).
 */
export function launchAgent(spec: LaunchSpec, spawner: AgentSpawner = nodeSpawner): RunningAgent {
  const pair = openPty(spec.cols ?? 120, spec.rows ?? 40);
  const spawned = spawner(pair, { command: spec.command, cwd: spec.cwd, env: spec.env, stdinFile: spec.stdinFile });
  // allowHalfOpen: an end-of-file from libuv must not close the fd, there may be more to read (see pty-drain.ts).
  const master = new ReadStream(pair.master, { allowHalfOpen: true });
  const listeners = new Set<(chunk: Buffer) => void>();
  const usage = new UsageScanner();
  let log: WriteStream | undefined;
  let bytes = 0;
  let killedBy: KillReason | null = null;
  let masterClosed = false;
  let pid = -1;

  const killGroup = (signal: NodeJS.Signals) => {
    if (pid <= 0) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  };
  /** Is any process of the agent's group (it leads its session and group) still alive? */
  const groupAlive = () => {
    if (pid <= 0) return false;
    try {
      process.kill(-pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  };
  const kill = (reason: KillReason) => {
    if (killedBy !== null || exited) return;
    killedBy = reason;
    killGroup('SIGTERM'); // before the fork is confirmed pid is unknown: the kill is applied when it is
    setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS).unref();
  };

  const watchdog = (reason: 'idle' | 'timeout') => {
    if (killedBy !== null || exited) return;
    spec.onWatchdog?.(reason);
    kill(reason);
  };
  const idleTimer = spec.idleTimeoutMs ? setTimeout(() => watchdog('idle'), spec.idleTimeoutMs) : undefined;
  const stepTimer = spec.timeoutMs ? setTimeout(() => watchdog('timeout'), spec.timeoutMs) : undefined;

  let drainTimer: NodeJS.Timeout | undefined;
  let paused = false;
  const onChunk = (chunk: Buffer) => {
    bytes += chunk.length;
    idleTimer?.refresh();
    drainTimer?.refresh();
    usage.scan(chunk);
    log ??= createWriteStream(spec.ptyLog, { flags: 'a' });
    if (!log.write(chunk)) {
      master.pause();
      paused = true;
      log.once('drain', () => {
        paused = false;
        drainTimer?.refresh();
        master.resume();
      });
    }
    for (const listener of listeners) listener(chunk);
  };
  master.on('data', onChunk);
  const masterDone = new Promise<void>((resolve) => {
    const close = () => {
      if (masterClosed) return;
      masterClosed = true;
      resolve();
    };
    // EIO on read is how Linux says "every slave fd is closed": the normal end of the stream.
    master.on('error', close);
    master.on('close', close);
    // An end-of-file is libuv's guess (POLLHUP after a short read), not the kernel's word: read on to EIO ourselves.
    master.on('end', () => {
      const readRest = () => {
        if (masterClosed) return;
        if (drainAfterHangup(pair.master, onChunk) === 'again') setTimeout(readRest, 5).unref();
        else close();
      };
      readRest();
    });
  });

  let exited = false;
  const done = new Promise<AgentExit>((resolve) => {
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null) => {
      exited = true;
      const exitedAt = performance.now();
      if (idleTimer) clearTimeout(idleTimer);
      if (stepTimer) clearTimeout(stepTimer);
      // Keep reading until EIO (every slave fd closed): only then has all the agent wrote reached pty.log (the kernel
      // hands slave writes to the master asynchronously, so the agent can be gone before its last bytes are
      // readable). A background child that still holds the terminal would keep it open forever, so when one is
      // alive we give up after DRAIN_AFTER_EXIT_MS without new output; with none left, we wait for EIO (bounded).
      const drained = Promise.race([
        masterDone,
        new Promise<void>((r) => {
          const check = () => {
            if (paused) return drainTimer?.refresh(); // pty.log could not keep up: that output is still coming
            // A loop that stalled fires its timers before it reads: let the poll phase read what is waiting first.
            const seen = bytes;
            setImmediate(() => {
              if (bytes !== seen || paused) return drainTimer?.refresh();
              const orphaned = !groupAlive();
              if (orphaned && performance.now() - exitedAt < DRAIN_WITHOUT_HOLDER_MAX_MS) return drainTimer?.refresh();
              r();
            });
          };
          drainTimer = setTimeout(check, DRAIN_AFTER_EXIT_MS);
        }),
      ]).finally(() => clearTimeout(drainTimer));
      drained
        .then(() => {
          master.destroy();
          return new Promise<void>((r) => (log ? log.end(r) : r()));
        })
        // An agent that printed nothing still gets its (empty) pty.log.
        .then(() => (log ? undefined : appendFile(spec.ptyLog, '')))
        .catch(() => undefined)
        .then(() => resolve({ exitCode, signal, killedBy, usage: usage.total(), bytes }));
    };
    spawned.then(
      (agent) => {
        pid = agent.pid;
        if (killedBy !== null) {
          killGroup('SIGTERM');
          setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS).unref();
        }
        void agent.exit.then(({ code, signal }) => finish(code, signal));
      },
      () => {
        master.destroy();
        resolve({ exitCode: 127, signal: null, killedBy, usage: usage.total(), bytes: 0 });
      },
    );
  });

  return {
    started: spawned.then((agent) => ({ pid: agent.pid, forkedAtMs: agent.forkedAtMs })),
    done,
    kill,
    write: (data) => {
      if (!masterClosed) master.write(data);
    },
    onData: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    bytes: () => bytes,
    flushedBytes: () => log?.bytesWritten ?? 0,
  };
}
