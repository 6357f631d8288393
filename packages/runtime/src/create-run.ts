import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppError, isDecisionStep, RUN_STEP } from '@paddock/contracts';
import type { LoadedChain } from './chain-files';
import { appendEvent, type StoredEvent } from './event-store';
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
  const staging = join(layout.incomingDir, `${runId}.${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  const at = (p: string) => join(staging, p.slice(final.dir.length + 1));
  mkdirSync(at(final.inputsDir), { recursive: true });
  mkdirSync(at(final.stepsDir), { recursive: true });
  mkdirSync(at(final.workDir), { recursive: true });
  mkdirSync(at(final.eventsDir), { recursive: true });
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
  mkdirSync(layout.runsDir, { recursive: true });
  try {
    renameSync(staging, final.dir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new AppError('conflict', `run ${runId} already exists`);
    throw error;
  }
  const created = await appendEvent(root, runId, {
    step: RUN_STEP,
    kind: 'created',
    status: 'queued',
    message: `chain ${loaded.chain.name}`,
    data: { chain: loaded.chain.name, chain_version: loaded.version, inputs: meta.inputs, prompts: meta.prompts },
  });
  return { runId, created };
}
