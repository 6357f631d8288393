import { mkdir } from 'node:fs';
import { type ChainDefinition, isDecisionStep } from '@paddock/contracts';
import { attemptsDir, type RunLayout } from './paths';

/**
 * For a run nobody has started yet: makes `steps/<step>/attempts/` of every agent step that waits for others, in the
 * thread pool, now, while its needs run. Its launch is a handoff, where the daemon makes the attempt's directory
 * synchronously (attempt-files.ts); with the parents in place that is one mkdir instead of five syscalls, and each
 * one waits on the filesystem journal while events are committed (milliseconds each under a burst). Best effort: a
 * failure here only leaves the launch to make them itself.
 */
export function precreateStepDirs(run: RunLayout, chain: ChainDefinition): void {
  for (const [name, step] of Object.entries(chain.agents)) {
    if (isDecisionStep(step) || step.needs.length === 0) continue;
    mkdir(attemptsDir(run, name), { recursive: true }, () => undefined);
  }
}
