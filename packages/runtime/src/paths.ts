import { isAbsolute, join, resolve } from 'node:path';
import { STEP_NAME_PATTERN } from '@paddock/contracts';

/**
 * The runtime's state is a directory a person can read with ls/cat/jq. This module is the only place that knows its
 * layout; every name that comes from outside (run ids, step names) is checked here before it becomes a path.
 */
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export interface RootLayout {
  root: string;
  runsDir: string;
  journalFile: string;
  pidFile: string;
  stateFile: string;
  logFile: string;
  socketFile: string;
  secretsFile: string;
  /** The plan caps the box holds on its own (box-caps.ts), written by `serve` for the control plane. */
  capsFile: string;
  incomingDir: string;
}

/**
 * Layouts are pure functions of their arguments and the daemon asks for them on every event and launch (thousands a
 * second at a burst of handoffs), so they are memoized; the caches are bounded and the objects frozen.
 */
const MEMO_LIMIT = 20_000;

function memo<T>(cache: Map<string, T>, key: string, make: () => T): T {
  let value = cache.get(key);
  if (value === undefined) {
    if (cache.size >= MEMO_LIMIT) cache.clear();
    value = Object.freeze(make());
    cache.set(key, value);
  }
  return value;
}

const rootLayouts = new Map<string, RootLayout>();

export function rootLayout(root: string): RootLayout {
  // A relative root depends on the working directory: only absolute ones are memoized.
  return isAbsolute(root) ? memo(rootLayouts, root, () => makeRootLayout(root)) : makeRootLayout(root);
}

function makeRootLayout(root: string): RootLayout {
  const abs = resolve(root);
  return {
    root: abs,
    runsDir: join(abs, 'runs'),
    journalFile: join(abs, 'journal.jsonl'),
    pidFile: join(abs, 'daemon.pid'),
    stateFile: join(abs, 'daemon.json'),
    logFile: join(abs, 'daemon.log'),
    socketFile: join(abs, 'daemon.sock'),
    secretsFile: join(abs, 'secrets.env'),
    capsFile: join(abs, 'caps.json'),
    incomingDir: join(abs, '.incoming'),
  };
}

export interface RunLayout {
  runId: string;
  dir: string;
  chainFile: string;
  metaFile: string;
  inputsDir: string;
  promptsDir: string;
  stepsDir: string;
  eventsDir: string;
  tmpDir: string;
  workDir: string;
  lockFile: string;
}

export function isValidRunId(runId: string): boolean {
  return RUN_ID_PATTERN.test(runId);
}

const runLayouts = new Map<string, RunLayout>();

export function runLayout(root: string, runId: string): RunLayout {
  if (!isValidRunId(runId)) throw new Error(`invalid run id ${JSON.stringify(runId)}`);
  if (!isAbsolute(root)) return makeRunLayout(root, runId);
  return memo(runLayouts, `${root}\0${runId}`, () => makeRunLayout(root, runId));
}

function makeRunLayout(root: string, runId: string): RunLayout {
  const dir = join(rootLayout(root).runsDir, runId);
  return {
    runId,
    dir,
    chainFile: join(dir, 'chain.yaml'),
    metaFile: join(dir, 'run.json'),
    inputsDir: join(dir, 'inputs'),
    promptsDir: join(dir, 'prompts'),
    stepsDir: join(dir, 'steps'),
    eventsDir: join(dir, '.events'),
    tmpDir: join(dir, '.tmp'),
    workDir: join(dir, 'work'),
    lockFile: join(dir, '.lock'),
  };
}

export interface StepLayout {
  dir: string;
  stdin: string;
  output: string;
  ptyLog: string;
  usage: string;
}

const stepLayouts = new Map<string, StepLayout>();

export function stepLayout(run: RunLayout, step: string): StepLayout {
  if (!STEP_NAME_PATTERN.test(step)) throw new Error(`invalid step name ${JSON.stringify(step)}`);
  if (!isAbsolute(run.stepsDir)) return makeStepLayout(run, step);
  return memo(stepLayouts, `${run.stepsDir}\0${step}`, () => makeStepLayout(run, step));
}

function makeStepLayout(run: RunLayout, step: string): StepLayout {
  const dir = join(run.stepsDir, step);
  return {
    dir,
    stdin: join(dir, 'stdin'),
    output: join(dir, 'output'),
    ptyLog: join(dir, 'pty.log'),
    usage: join(dir, 'usage.json'),
  };
}

/**
 * One execution of a step: `steps/<step>/attempts/<n>/` holds that attempt's stdin, output, usage.json and pty.log,
 * and nothing writes there once the attempt has ended (a retry, a request_changes loop or a replay is a new `n`).
 * `steps/<step>/{output,usage.json,pty.log,stdin}` are hard links to the files of the step's latest started attempt
 * (attempt-files.ts), so `cat`, `grep` and the control plane's output read keep working on the usual paths.
 */
export interface AttemptLayout extends StepLayout {
  attempt: number;
}

export function isValidAttempt(attempt: number): boolean {
  return Number.isSafeInteger(attempt) && attempt >= 1 && attempt <= 2_147_483_647;
}

export function attemptsDir(run: RunLayout, step: string): string {
  return join(stepLayout(run, step).dir, 'attempts');
}

export function attemptLayout(run: RunLayout, step: string, attempt: number): AttemptLayout {
  if (!isValidAttempt(attempt)) throw new Error(`invalid attempt ${JSON.stringify(attempt)}`);
  const dir = join(attemptsDir(run, step), String(attempt));
  return {
    attempt,
    dir,
    stdin: join(dir, 'stdin'),
    output: join(dir, 'output'),
    ptyLog: join(dir, 'pty.log'),
    usage: join(dir, 'usage.json'),
  };
}

/**
 * The terminal log of one attempt of a step (what the agent's PTY printed, byte for byte). The one place that names
 * it: whatever serves a step's terminal asks here. Without an attempt: the step's latest started attempt's (a hard
 * link to the same file, so a reader following it sees the live attempt's bytes).
 */
export function ptyLogPath(run: RunLayout, step: string, attempt?: number): string {
  return attempt === undefined ? stepLayout(run, step).ptyLog : attemptLayout(run, step, attempt).ptyLog;
}
