import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { currentRequestId } from '@paddock/platform';
import type ssh2 from 'ssh2';
import { ExecError, FleetError } from './errors';
import { openSshClient } from './open-ssh-client';
import { OutputTail } from './output-tail';
import type { FleetRecorder } from './recorder';
import { type ShellCommand, sh } from './shell';
import { commandOutcome, noObserver, notify, type SshObserver } from './ssh-observer';
import type { BoxTarget, SshTimeouts } from './ssh-options';

export interface ExecOptions {
  timeoutMs?: number;
  /** Sent on the command's stdin, then EOF. Secrets travel this way, never on the command line. */
  stdin?: string | Buffer | Readable;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** Exit codes that count as success (default: only 0). */
  okExitCodes?: readonly number[];
  /** Bytes of each stream kept in the result (older output is dropped). Default 4 MiB. */
  captureLimit?: number;
  /** What errors call the command, when its text says little (a script runner). */
  label?: string;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A long-running remote command: a lock holder, a `serve --stdio` channel. In flight until it closes. */
export interface RemoteProcess {
  channel: ssh2.ClientChannel;
  /** Settles when the channel closes: the exit code, or null when the connection dropped or it was killed. */
  exited: Promise<number | null>;
  stderrTail(): string;
  close(): void;
}

const TAIL_BYTES = 4096;

/**
 * One SSH connection to one box. It counts what runs on it (execs, long-running channels, SFTP transfers) and
 * never ends the connection under them: `close()` waits until the count is zero. When the link drops, everything
 * in flight fails with `connection_lost` and the pool dials again on next use.
 */
export class SshConnection {
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private pending = new Set<(error: FleetError) => void>();
  private sftpSession: Promise<ssh2.SFTPWrapper> | undefined;
  private dropped = false;
  private markClosed: () => void = () => {};
  /** Settles when the connection is gone, by close or by drop. */
  readonly closed: Promise<void> = new Promise((resolve) => {
    this.markClosed = resolve;
  });
  lastUsedAt = Date.now();

  private constructor(
    readonly target: BoxTarget,
    readonly fingerprint: string,
    private readonly client: ssh2.Client,
    private readonly socket: Socket,
    private readonly timeouts: SshTimeouts,
    private readonly observer: SshObserver = noObserver,
  ) {
    client.on('close', () => this.onDropped());
    client.on('error', () => this.onDropped());
  }

  static async open(
    target: BoxTarget,
    timeouts: SshTimeouts,
    recorder: FleetRecorder,
    observer: SshObserver = noObserver,
  ): Promise<SshConnection> {
    const opened = await openSshClient(target, timeouts, recorder);
    return new SshConnection(target, opened.fingerprint, opened.client, opened.socket, timeouts, observer);
  }

  get alive(): boolean {
    return !this.dropped;
  }

  get busy(): boolean {
    return this.inFlight > 0;
  }

  get bytesSent(): number {
    return this.socket.bytesWritten;
  }

  get bytesReceived(): number {
    return this.socket.bytesRead;
  }

  /** Runs `work` as in-flight: the connection will not be closed by the pool until it settles. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    if (this.dropped) throw this.lostError();
    this.inFlight++;
    this.lastUsedAt = Date.now();
    try {
      return await work();
    } finally {
      this.inFlight--;
      this.lastUsedAt = Date.now();
      if (this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  exec(command: ShellCommand, options: ExecOptions = {}): Promise<ExecResult> {
    const started = performance.now();
    return this.track(() => this.runExec(command, options)).then(
      (result) => {
        this.observe('exec', 'ok', started);
        return result;
      },
      (error: unknown) => {
        this.observe('exec', commandOutcome(error), started);
        throw error;
      },
    );
  }

  /**
   * Runs a script of any length: it is streamed to a temporary file first, so its text never meets the argument
   * length limit and commands inside it cannot swallow the rest of the script by reading stdin.
   */
  execScript(script: ShellCommand, options: Omit<ExecOptions, 'stdin'> = {}): Promise<ExecResult> {
    const runner = sh`f=$(mktemp) && cat > "$f" && { sh "$f" </dev/null; rc=$?; rm -f "$f"; exit $rc; }`;
    const label = options.label ?? `script: ${script.text.split('\n', 1)[0]}`;
    return this.exec(runner, { ...options, label, stdin: `${script.text}\n` });
  }

  /** Starts a command that keeps running; resolves once the channel is open. */
  spawn(command: ShellCommand): Promise<RemoteProcess> {
    const started = performance.now();
    return this.openSpawn(command).then(
      (remote) => {
        this.observe('spawn', 'ok', started);
        return remote;
      },
      (error: unknown) => {
        this.observe('spawn', commandOutcome(error), started);
        throw error;
      },
    );
  }

  private openSpawn(command: ShellCommand): Promise<RemoteProcess> {
    if (this.dropped) return Promise.reject(this.lostError());
    this.inFlight++;
    const done = () => {
      this.inFlight--;
      if (this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    };
    return new Promise((resolve, reject) => {
      this.client.exec(withRequestId(command).text, (error, channel) => {
        if (error) {
          done();
          reject(
            this.dropped
              ? this.lostError()
              : new FleetError('connection_lost', error.message, { boxId: this.target.id }),
          );
          return;
        }
        const stderr = new OutputTail(TAIL_BYTES);
        channel.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
        let exitCode: number | null = null;
        channel.on('exit', (code: number | null) => {
          exitCode = typeof code === 'number' ? code : null;
        });
        const exited = new Promise<number | null>((settle) => {
          let settled = false;
          const finish = (code: number | null) => {
            if (settled) return;
            settled = true;
            this.pending.delete(onLost);
            done();
            settle(code);
          };
          // A dropped link does not always close its channels in ssh2: the drop settles them too.
          const onLost = () => finish(null);
          this.pending.add(onLost);
          channel.on('close', () => finish(exitCode));
        });
        resolve({ channel, exited, stderrTail: () => stderr.text(), close: () => channel.close() });
      });
    });
  }

  /** One SFTP session per connection, opened on first use and reopened if the server closed it. */
  sftp(): Promise<ssh2.SFTPWrapper> {
    if (this.dropped) return Promise.reject(this.lostError());
    if (!this.sftpSession) {
      const session = new Promise<ssh2.SFTPWrapper>((resolve, reject) => {
        this.client.sftp((error, sftp) => {
          if (error)
            return reject(
              new FleetError('connection_lost', `SFTP refused: ${error.message}`, { boxId: this.target.id }),
            );
          sftp.on('close', () => {
            if (this.sftpSession === session) this.sftpSession = undefined;
          });
          resolve(sftp);
        });
      });
      session.catch(() => {
        if (this.sftpSession === session) this.sftpSession = undefined;
      });
      this.sftpSession = session;
    }
    return this.sftpSession;
  }

  /** Ends the connection once nothing is in flight, or at `deadlineMs`, whichever comes first. */
  async close(deadlineMs = this.timeouts.commandMs): Promise<void> {
    if (this.inFlight > 0 && !this.dropped) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadlineMs);
        this.idleWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    await this.endAndWait();
  }

  /** Cuts the link at once (tests of dropped connections, shutdown past its deadline). */
  destroy(): void {
    this.socket.destroy();
    this.client.end();
  }

  private runExec(command: ShellCommand, options: ExecOptions): Promise<ExecResult> {
    const timeoutMs = options.timeoutMs ?? this.timeouts.commandMs;
    const limit = options.captureLimit ?? 4 * 1024 * 1024;
    const okCodes = options.okExitCodes ?? [0];
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        this.pending.delete(onLost);
        fn();
      };
      const onLost = (error: FleetError) => settle(() => reject(error));
      this.pending.add(onLost);

      this.client.exec(withRequestId(withRemoteDeadline(command, timeoutMs)).text, (error, channel) => {
        if (error) return settle(() => reject(this.dropped ? this.lostError() : this.channelError(error)));
        const stdout = new OutputTail(limit);
        const stderr = new OutputTail(limit);
        let exitCode: number | null = null;
        let signal: string | null = null;
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          channel.close();
          settle(() =>
            reject(
              new ExecError({
                boxId: this.target.id,
                command: options.label ?? command.text,
                exitCode: null,
                stdoutTail: stdout.tail(TAIL_BYTES),
                stderrTail: stderr.tail(TAIL_BYTES),
                timedOut: true,
              }),
            ),
          );
        }, timeoutMs);

        channel.on('data', (chunk: Buffer) => {
          stdout.push(chunk);
          options.onStdout?.(chunk);
        });
        channel.stderr.on('data', (chunk: Buffer) => {
          stderr.push(chunk);
          options.onStderr?.(chunk);
        });
        channel.on('exit', (code: number | null, signalName?: string) => {
          if (typeof code === 'number') exitCode = code;
          else signal = signalName ?? 'unknown';
        });
        channel.on('close', () => {
          clearTimeout(timer);
          if (this.dropped && exitCode === null) return settle(() => reject(this.lostError()));
          if (exitCode !== null && okCodes.includes(exitCode) && !timedOut) {
            return settle(() =>
              resolve({ exitCode: exitCode as number, stdout: stdout.text(), stderr: stderr.text() }),
            );
          }
          const failure = new ExecError({
            boxId: this.target.id,
            command: options.label ?? command.text,
            exitCode,
            signal,
            stdoutTail: stdout.tail(TAIL_BYTES),
            stderrTail: stderr.tail(TAIL_BYTES),
            timedOut,
          });
          settle(() => reject(failure));
        });

        const input = options.stdin;
        if (input === undefined) channel.end();
        else if (typeof input === 'string' || Buffer.isBuffer(input)) channel.end(input);
        else input.pipe(channel);
      });
    });
  }

  private observe(kind: 'exec' | 'spawn', outcome: ReturnType<typeof commandOutcome>, started: number): void {
    const durationMs = performance.now() - started;
    notify(this.observer, (o) => o.commandFinished?.({ kind, outcome, durationMs }));
  }

  private endAndWait(): Promise<void> {
    if (this.dropped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, 5_000);
      this.client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.client.end();
    });
  }

  private onDropped(): void {
    if (this.dropped) return;
    this.dropped = true;
    this.markClosed();
    this.sftpSession = undefined;
    const error = this.lostError();
    for (const reject of [...this.pending]) reject(error);
    this.pending.clear();
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private lostError(): FleetError {
    return new FleetError('connection_lost', `The SSH connection to box ${this.target.id} dropped`, {
      boxId: this.target.id,
    });
  }

  private channelError(error: Error): FleetError {
    return new FleetError('connection_lost', `Box ${this.target.id} refused a new session: ${error.message}`, {
      boxId: this.target.id,
      cause: error,
    });
  }
}

/**
 * The box enforces the deadline too: `timeout` kills the command's whole process group. Closing the channel alone
 * would leave it running, and OpenSSH refuses "signal" requests on root sessions ("session signalling requires
 * privilege separation"), so this is the one way that works for every login.
 */
function withRemoteDeadline(command: ShellCommand, timeoutMs: number): ShellCommand {
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  return sh`timeout -s KILL ${seconds} sh -c ${command.text}`;
}

/**
 * Hands the current request id (the API request or job this command serves) to the box as PADDOCK_REQUEST_ID:
 * `paddock-service` logs it in root's service.log, so an operator can follow one signup from the API to the box.
 * Only ids of the checked shape are passed, and quoted all the same; `asRoot` sets it again past sudo.
 */
function withRequestId(command: ShellCommand): ShellCommand {
  const requestId = currentRequestId();
  return requestId ? sh`PADDOCK_REQUEST_ID=${requestId} ${command}` : command;
}
