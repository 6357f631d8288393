import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AppError } from '@paddock/contracts';
import type { LoadedChain } from './chain-files';
import type { StoredEvent } from './event-store';
import { RunGroupCommit } from './run-group-commit';
import { type RunInputArg, stageRun } from './stage-run';

export type { RunInputArg } from './stage-run';

export const INPUT_KEY_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

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

/** One group commit per root in this process: concurrent creations (a burst through serve) share its barriers. */
const committers = new Map<string, RunGroupCommit>();

function committerFor(root: string): RunGroupCommit {
  const key = resolve(root);
  let committer = committers.get(key);
  if (!committer) {
    committer = new RunGroupCommit(key);
    committers.set(key, committer);
  }
  return committer;
}

/**
 * Creates `runs/<id>/` with the frozen chain, its prompt files and the inputs, and its `created` event, which hands
 * the run to the daemon. Staged under `.incoming/` (stage-run.ts) and published by the group commit
 * (run-group-commit.ts): resolves once the run is durable and in place, never half-created. Concurrent calls share
 * the commit's barriers.
 */
export async function createRun(
  root: string,
  loaded: LoadedChain,
  inputs: RunInputArg[],
  requestedId?: string,
): Promise<{ runId: string; created: StoredEvent }> {
  const runId = requestedId ?? newRunId();
  const staged = stageRun(root, loaded, inputs, runId);
  const created = await committerFor(root).commit(staged);
  return { runId, created };
}
