import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppError, isDecisionStep, RUN_STEP } from '@paddock/contracts';
import type { LoadedChain } from './chain-files';
import { appendJournal, type StoredEvent, writeFirstEvent } from './event-store';
import { isValidRunId, rootLayout, runLayout } from './paths';

export const INPUT_KEY_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export interface RunInputArg {
  key: string;
  value: Buffer;
}

/** Parses `key=value` or `key=@file` (file read relative to `cwd`). */
export function parseInputArg(arg: string, cwd: string): RunInputArg {
  const eq = arg.indexOf('=');
  const key = eq < 0 ? arg : arg.slice(0, eq);
  if (eq < 0 || !INPUT_KEY_PATTERN.test(key)) {
    throw new AppError('bad_request', `--input ${JSON.stringify(arg)}: expected key=value or key=@file`);
  }
  const raw = arg.slice(eq + 1);
  if (!raw.startsWith('@')) return { key, value: Buffer.from(raw) };
  try {
    return { key, value: readFileSync(join(cwd, raw.slice(1))) };
  } catch (error) {
    throw new AppError(
      'bad_request',
      `--input ${key}: cannot read ${raw.slice(1)} (${(error as NodeJS.ErrnoException).code})`,
    );
  }
}

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `r${stamp}-${randomBytes(3).toString('hex')}`;
}

function requiredInputs(loaded: LoadedChain): Set<string> {
  const keys = new Set<string>();
  for (const step of Object.values(loaded.chain.agents)) {
    if (isDecisionStep(step) || step.input === undefined) continue;
    for (const input of Array.isArray(step.input) ? step.input : [step.input]) {
      if (typeof input === 'object' && 'run_input' in input) keys.add(input.run_input);
    }
  }
  return keys;
}

/**
 * Creates `runs/<id>/` with the frozen chain, its prompt files and the inputs, then writes the `created` event that
 * hands the run to the daemon. The directory is assembled under `.incoming/` and renamed into place, so the daemon
 * (or a person) never sees a half-created run.
 */
export async function createRun(
  root: string,
  loaded: LoadedChain,
  inputs: RunInputArg[],
  requestedId?: string,
): Promise<{ runId: string; created: StoredEvent }> {
  const runId = requestedId ?? newRunId();
  if (!isValidRunId(runId)) {
    throw new AppError('bad_request', `run id ${JSON.stringify(runId)} must be letters, digits, "-" or "_" (max 128)`);
  }
  const missing = [...requiredInputs(loaded)].filter((key) => !inputs.some((i) => i.key === key));
  if (missing.length > 0)
    throw new AppError('bad_request', `missing --input ${missing.join(', ')} (used by the chain)`);
  const layout = rootLayout(root);
  const final = runLayout(root, runId);
  if (existsSync(final.dir)) throw new AppError('conflict', `run ${runId} already exists`);
  // Unique per call: runs created concurrently (a burst through serve) never share a staging directory, and a
  // leftover of a crashed creation is never in the way.
  const staging = join(layout.incomingDir, `${runId}.${process.pid}.${randomBytes(4).toString('hex')}`);
  makeStagingDir(layout.incomingDir, staging);
  let created: StoredEvent;
  try {
    const at = (p: string) => join(staging, p.slice(final.dir.length + 1));
    for (const dir of [final.inputsDir, final.stepsDir, final.workDir, final.eventsDir]) mkdirSync(at(dir));
    writeFileSync(at(final.chainFile), loaded.text);
    for (const [rel, content] of loaded.files) {
      const target = join(at(final.promptsDir), rel);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content);
    }
    for (const input of inputs) writeFileSync(join(at(final.inputsDir), input.key), input.value);
    const meta = {
      run_id: runId,
      chain: loaded.chain.name,
      chain_version: loaded.version,
      source: loaded.file,
      prompts: [...loaded.files.keys()],
      inputs: inputs.map((i) => i.key),
    };
    writeFileSync(at(final.metaFile), `${JSON.stringify(meta, null, 2)}\n`);
    // The `created` event is written (and fsynced) inside the staging directory: the run appears with it, whole.
    created = await writeFirstEvent(at(final.eventsDir), runId, {
      step: RUN_STEP,
      kind: 'created',
      status: 'queued',
      message: `chain ${loaded.chain.name}`,
      data: { chain: loaded.chain.name, chain_version: loaded.version, inputs: meta.inputs, prompts: meta.prompts },
    });
    publish(staging, final.dir, layout.runsDir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new AppError('conflict', `run ${runId} already exists`);
    throw error;
  }
  appendJournal(root, runId, created.file, created.event.timestamp);
  return { runId, created };
}

/** Directories this process has made sure of: creating a run then costs no mkdir of its parents. */
const madeDirs = new Set<string>();

function ensureDirOnce(dir: string): void {
  if (madeDirs.has(dir)) return;
  mkdirSync(dir, { recursive: true });
  madeDirs.add(dir);
}

/** Renames the staged run into `runs/`, made once per process (again if a person removed it meanwhile). */
function publish(staging: string, dir: string, runsDir: string): void {
  ensureDirOnce(runsDir);
  try {
    renameSync(staging, dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    madeDirs.delete(runsDir);
    ensureDirOnce(runsDir);
    renameSync(staging, dir);
  }
}

/** mkdir of the staging directory; its parent is made once per process, again if a person removed it meanwhile. */
function makeStagingDir(incomingDir: string, staging: string): void {
  ensureDirOnce(incomingDir);
  try {
    mkdirSync(staging);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    madeDirs.delete(incomingDir);
    ensureDirOnce(incomingDir);
    mkdirSync(staging);
  }
}
