import { closeSync, existsSync, linkSync, mkdirSync, openSync, renameSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type AttemptLayout, attemptLayout, attemptsDir, type RunLayout, type StepLayout, stepLayout } from './paths';

/**
 * The files of one attempt of a step live in `steps/<step>/attempts/<n>/` and are never touched by another attempt;
 * `steps/<step>/{pty.log,output,usage.json,stdin}` are hard links to the latest started attempt's files (regular
 * files, so the control plane's output read, which refuses symlinks, and `cat`/`grep` read them as before).
 *
 * Synchronous on purpose: this is on the handoff path (a step's output must be in place before its `complete` is
 * written and its dependents launch), where a trip through the thread pool waits behind every event fsync in flight.
 */
export interface OpenedAttempt {
  layout: AttemptLayout;
  /** The step's usual paths (links to the latest started attempt's files). */
  current: StepLayout;
}

/**
 * Makes attempt `attempt`'s directory and points the step's usual paths at it: the previous attempt's output, usage
 * and stdin links go (they must not pass for this attempt's), its pty.log link now names this attempt's (empty) log,
 * so `tail -f steps/<step>/pty.log` follows the attempt that runs.
 */
export function openAttempt(run: RunLayout, step: string, attempt: number): OpenedAttempt {
  const current = stepLayout(run, step);
  const layout = attemptLayout(run, step, attempt);
  const created = mkdirSync(layout.dir, { recursive: true });
  // The step directory made just now holds no earlier attempt: the usual first launch costs no unlink. Nor does a
  // first attempt whose `attempts/` the daemon made ahead for a new run (precreate-step-dirs.ts): no attempt of it ran.
  const freshStep =
    created !== undefined &&
    (created === current.dir || current.dir.startsWith(`${created}/`) || (attempt === 1 && created === layout.dir));
  if (created === undefined) setAside(layout);
  else if (!freshStep && created === attemptsDir(run, step)) keepUnnumbered(current, created);
  if (!freshStep) for (const path of [current.output, current.usage, current.stdin]) unlinkIfPresent(path);
  closeSync(openSync(layout.ptyLog, 'a'));
  link(layout.ptyLog, current.ptyLog, freshStep);
  return { layout, current };
}

/**
 * Points the step's usual output, usage and stdin paths at an attempt that ended, unless a later attempt has started
 * meanwhile (it owns them then). Files the attempt does not have are left absent.
 */
export function publishAttempt(opened: OpenedAttempt): void {
  const { layout, current } = opened;
  if (existsSync(join(dirname(layout.dir), String(layout.attempt + 1)))) return;
  for (const [from, to] of [
    [layout.output, current.output],
    [layout.usage, current.usage],
    [layout.stdin, current.stdin],
  ] as const) {
    if (existsSync(from)) link(from, to, true);
  }
}

/** Hard-links `from` at `to`, replacing what is there atomically (readers see the old file or the new, never none). */
function link(from: string, to: string, tryDirect: boolean): void {
  if (tryDirect) {
    try {
      linkSync(from, to);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  const tmp = `${to}.link-tmp`;
  unlinkIfPresent(tmp);
  linkSync(from, tmp);
  renameSync(tmp, to);
  // rename(2) between two links of one file does nothing and leaves the temporary name behind.
  unlinkIfPresent(tmp);
}

function unlinkIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * An attempt number whose directory exists already was launched before without a `started` event on record (stopped
 * before its agent was forked, or the daemon died first); what that launch left is kept beside it, not reused.
 */
function setAside(layout: AttemptLayout): void {
  renameSync(layout.dir, `${layout.dir}-unrecorded-${Date.now()}`);
  mkdirSync(layout.dir);
}

/** A step directory from a runtime before attempt directories: its files are kept as `attempts/unnumbered/`. */
function keepUnnumbered(current: StepLayout, attempts: string): void {
  const kept = join(attempts, 'unnumbered');
  mkdirSync(kept, { recursive: true });
  for (const path of [current.output, current.usage, current.stdin, current.ptyLog]) {
    try {
      renameSync(path, join(kept, path.slice(current.dir.length + 1)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}
