import { join, resolve } from 'node:path';
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
  incomingDir: string;
}

export function rootLayout(root: string): RootLayout {
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

export function runLayout(root: string, runId: string): RunLayout {
  if (!isValidRunId(runId)) throw new Error(`invalid run id ${JSON.stringify(runId)}`);
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

export function stepLayout(run: RunLayout, step: string): StepLayout {
  if (!STEP_NAME_PATTERN.test(step)) throw new Error(`invalid step name ${JSON.stringify(step)}`);
  const dir = join(run.stepsDir, step);
  return {
    dir,
    stdin: join(dir, 'stdin'),
    output: join(dir, 'output'),
    ptyLog: join(dir, 'pty.log'),
    usage: join(dir, 'usage.json'),
  };
}
