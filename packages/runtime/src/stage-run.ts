import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppError, eventFileName, isDecisionStep, RUN_STEP, RunEventSchema } from '@paddock/contracts';
import type { LoadedChain } from './chain-files';
import type { StoredEvent } from './event-store';
import { isValidRunId, rootLayout, runLayout } from './paths';

export interface RunInputArg {
  key: string;
  value: Buffer;
}

/** A run assembled under `.incoming/`, not visible yet: nothing reads it until it is renamed into `runs/`. */
export interface StagedRun {
  runId: string;
  staging: string;
  /** Its place under `runs/`. */
  dir: string;
  created: StoredEvent;
  /** Every file and directory written: what a barrier without syncfs fsyncs. */
  paths: string[];
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
 * Writes a new run (frozen chain, prompt files, inputs, run.json and its `created` event) into a staging directory
 * of its own under `.incoming/`, with plain writes: making it durable is the group commit's job (run-group-commit.ts),
 * once for a whole burst of runs. Unique per call, so runs staged concurrently never share a directory, and a
 * leftover of a crashed creation is never in the way (the daemon clears those, clear-incoming.ts).
 *
 * Synchronous on purpose: ~10 small creating syscalls per run. Measured A/B on a loaded 2-core box (tmpfs, so only
 * their CPU cost counts), the same staging through the thread pool (a round trip per directory and file) accepted
 * 200-340 runs/s where this accepts 260-440: what made a burst slow was an fsync per run, not these.
 */
export function stageRun(root: string, loaded: LoadedChain, inputs: RunInputArg[], runId: string): StagedRun {
  if (!isValidRunId(runId)) {
    throw new AppError('bad_request', `run id ${JSON.stringify(runId)} must be letters, digits, "-" or "_" (max 128)`);
  }
  const missing = [...requiredInputs(loaded)].filter((key) => !inputs.some((i) => i.key === key));
  if (missing.length > 0)
    throw new AppError('bad_request', `missing --input ${missing.join(', ')} (used by the chain)`);
  const layout = rootLayout(root);
  const final = runLayout(root, runId);
  if (existsSync(final.dir)) throw new AppError('conflict', `run ${runId} already exists`);
  const staging = join(layout.incomingDir, `${runId}.${process.pid}.${randomBytes(4).toString('hex')}`);
  makeStagingDir(layout.incomingDir, staging);
  try {
    const at = (p: string) => join(staging, p.slice(final.dir.length + 1));
    const dirs = [final.inputsDir, final.stepsDir, final.workDir, final.eventsDir].map(at);
    const promptDirs = new Set<string>();
    for (const rel of loaded.files.keys()) {
      for (let d = dirname(join(at(final.promptsDir), rel)); d.length > staging.length; d = dirname(d))
        promptDirs.add(d);
    }
    for (const dir of dirs) mkdirSync(dir);
    // Parents before children (a shorter path is never inside a longer one).
    for (const dir of [...promptDirs].sort((x, y) => x.length - y.length)) mkdirSync(dir);
    const meta = {
      run_id: runId,
      chain: loaded.chain.name,
      chain_version: loaded.version,
      source: loaded.file,
      prompts: [...loaded.files.keys()],
      inputs: inputs.map((i) => i.key),
    };
    // The `created` event is in the staging directory: the run appears with it, whole, when the directory is renamed.
    const event = RunEventSchema.parse({
      step: RUN_STEP,
      kind: 'created',
      status: 'queued',
      message: `chain ${loaded.chain.name}`,
      data: { chain: loaded.chain.name, chain_version: loaded.version, inputs: meta.inputs, prompts: meta.prompts },
      run_id: runId,
      seq: 1,
      timestamp: new Date().toISOString(),
    });
    const file = eventFileName(1, event.step, event.kind);
    const files: [string, string | Buffer][] = [
      [at(final.chainFile), loaded.text],
      ...[...loaded.files].map(([rel, content]): [string, Buffer] => [join(at(final.promptsDir), rel), content]),
      ...inputs.map((input): [string, Buffer] => [join(at(final.inputsDir), input.key), input.value]),
      [at(final.metaFile), `${JSON.stringify(meta, null, 2)}\n`],
      [join(at(final.eventsDir), file), `${JSON.stringify(event)}\n`],
    ];
    for (const [path, data] of files) writeFileSync(path, data, { flag: 'wx', mode: 0o644 });
    const paths = [staging, ...dirs, ...promptDirs, ...files.map(([path]) => path)];
    return { runId, staging, dir: final.dir, created: { event, file }, paths };
  } catch (error) {
    discardStaged(staging);
    throw error;
  }
}

export function discardStaged(staging: string): void {
  rmSync(staging, { recursive: true, force: true });
}

/** Directories this process has made sure of: staging a run then costs no mkdir of its parents. */
const madeDirs = new Set<string>();

export function ensureDirOnce(dir: string): void {
  if (madeDirs.has(dir)) return;
  mkdirSync(dir, { recursive: true });
  madeDirs.add(dir);
}

/** Forgets that `dir` exists (a person removed it): the next ensureDirOnce makes it again. */
export function forgetDir(dir: string): void {
  madeDirs.delete(dir);
}

/** mkdir of the staging directory; its parent is made once per process, again if a person removed it meanwhile. */
function makeStagingDir(incomingDir: string, staging: string): void {
  ensureDirOnce(incomingDir);
  try {
    mkdirSync(staging);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    forgetDir(incomingDir);
    ensureDirOnce(incomingDir);
    mkdirSync(staging);
  }
}
