import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { RestartBackoff, type RestartBackoffOptions } from './restart-backoff';

export interface ProgramSpec {
  /** Short name in the supervisor's lines (`api`, `worker`, `database`). */
  name: string;
  command: string;
  args: string[];
  /** How long a stop waits after SIGTERM before SIGKILL. */
  stopTimeoutMs: number;
  backoff?: RestartBackoffOptions;
}

/** Exit status 78 (EX_CONFIG, platform's exitOnConfigError): starting again cannot help. */
const EX_CONFIG = 78;

// setpriv (util-linux) makes the kernel send SIGTERM to a child whose supervisor died, even by SIGKILL: children run
// in process groups of their own (so a terminal's Ctrl-C reaches only the supervisor, which stops them in order) and
// would otherwise outlive it.
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path));

/**
 * One long-running program under supervision: started, restarted with backoff when it exits on its own, stopped on
 * request (SIGTERM, then SIGKILL after its deadline). Its output goes straight to the supervisor's terminal.
 */
export class SupervisedProgram {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly backoff: RestartBackoff;

  constructor(
    private readonly spec: ProgramSpec,
    private readonly say: (line: string) => void,
    /** Told when the program cannot be kept running (a configuration error): the supervisor stops everything. */
    private readonly onFatal: (reason: string) => void,
  ) {
    this.backoff = new RestartBackoff(spec.backoff);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    if (this.stopping) return;
    const [command, args] = SETPRIV
      ? [SETPRIV, ['--pdeathsig', 'SIGTERM', '--', this.spec.command, ...this.spec.args]]
      : [this.spec.command, this.spec.args];
    const startedAt = Date.now();
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.child = undefined;
        resolve();
        this.onExit(code, signal, Date.now() - startedAt);
      });
      child.once('error', (error) => {
        this.say(`${this.spec.name} could not be started: ${error.message}`);
      });
    });
    this.say(`${this.spec.name} started (pid ${child.pid})`);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, ranForMs: number): void {
    if (this.stopping) return;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (code === EX_CONFIG) {
      this.say(`${this.spec.name} exited (${how}): its configuration is invalid, so it is not restarted`);
      this.onFatal(`${this.spec.name} has an invalid configuration`);
      return;
    }
    const delay = this.backoff.delayAfter(ranForMs);
    this.say(
      `${this.spec.name} exited (${how}) after ${(ranForMs / 1000).toFixed(1)} s; restarting in ${delay / 1000} s`,
    );
    this.restartTimer = setTimeout(() => this.start(), delay);
  }

  /** Stops it for good: no restart after this. Resolves once it has exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child) return;
    this.say(`stopping ${this.spec.name} (pid ${child.pid})`);
    child.kill('SIGTERM');
    const killer = setTimeout(() => {
      this.say(`${this.spec.name} did not stop within ${this.spec.stopTimeoutMs / 1000} s: SIGKILL`);
      child.kill('SIGKILL');
    }, this.spec.stopTimeoutMs);
    await this.exited;
    clearTimeout(killer);
    this.say(`${this.spec.name} stopped`);
  }
}
