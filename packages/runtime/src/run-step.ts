import { spawn } from 'node:child_process';
import { writeFile as writeFileCb } from 'node:fs';
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { AgentStep } from '@paddock/contracts';
import { publishAttempt } from './attempt-files';
import { deriveOutput } from './derive-output';
import { type AgentSpawner, type KillReason, launchAgent, type RunningAgent } from './launch-agent';
import type { PreparedStep } from './prepare-step';
import type { StepLimits } from './step-limits';
import { addReport, readUsageFile, type UsageTotal } from './usage';

export interface StepOutcome {
  ok: boolean;
  exitCode: number | null;
  error: string | null;
  killedBy: KillReason | null;
  usage: UsageTotal;
  durationSeconds: number;
  outputPath: string;
  /** Size of the output file once written (the control plane's output-size and prompt-drift signals). */
  outputBytes: number | null;
}

const CHECK_TIMEOUT_MS = 60_000;
/** The callback API: fs/promises' writeFile goes through a FileHandle, several times the cost for an empty file. */
const writeFile = promisify(writeFileCb);

export interface StartedStep {
  agent: RunningAgent;
  outcome: Promise<StepOutcome>;
}

/**
 * Runs one attempt of an agent step: launch in a PTY, then, once it exits, settle its output (the file the agent
 * wrote to $CHAIN_OUTPUT, else its terminal output), its usage, and the `check` gate.
 */
export function startStep(
  step: AgentStep,
  prepared: PreparedStep,
  limits: StepLimits,
  onWatchdog: (reason: 'idle' | 'timeout') => void,
  spawner?: AgentSpawner,
): StartedStep {
  const { layout } = prepared;
  const startedAt = performance.now();
  const agent = launchAgent(
    {
      command: step.run,
      cwd: prepared.cwd,
      env: prepared.env,
      stdinFile: prepared.stdinFile,
      ptyLog: layout.ptyLog,
      idleTimeoutMs: limits.idle?.ms,
      timeoutMs: limits.timeout?.ms,
      onWatchdog,
    },
    spawner,
  );
  const outcome = agent.done.then(async (exit): Promise<StepOutcome> => {
    const usage = exit.usage;
    const fileUsage = await readUsageFile(layout.usage);
    if (fileUsage) {
      Object.assign(usage, { input_tokens: 0, output_tokens: 0, cost_usd: null, model: null });
      addReport(usage, fileUsage);
    }
    if (!usage.model && step.model) usage.model = step.model;
    // Without a file written to $CHAIN_OUTPUT, the output is the terminal's (none at all: an empty output).
    if (!(await stat(layout.output).catch(() => undefined))) {
      if (exit.bytes === 0) await writeFile(layout.output, '');
      else await deriveOutput(layout.ptyLog, layout.output);
    }
    // Before the ending event is written: a dependent launched after `complete` reads steps/<step>/output.
    publishAttempt(prepared.attempt);
    const durationSeconds = Math.round(performance.now() - startedAt) / 1000;
    const outputBytes = (await stat(layout.output).catch(() => undefined))?.size ?? null;
    const base = {
      exitCode: exit.exitCode,
      killedBy: exit.killedBy,
      usage,
      durationSeconds,
      outputPath: layout.output,
      outputBytes,
    };
    if (exit.killedBy === 'idle') {
      return { ...base, ok: false, error: `no terminal output for ${limits.idle?.text}: killed by the watchdog` };
    }
    if (exit.killedBy === 'timeout')
      return { ...base, ok: false, error: `step timed out after ${limits.timeout?.text}` };
    if (exit.killedBy) return { ...base, ok: false, error: `killed (${exit.killedBy})` };
    if (exit.exitCode !== 0) {
      const how = exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.exitCode}`;
      return { ...base, ok: false, error: `agent ${how}` };
    }
    if (step.check) {
      const failure = await runCheck(step.check, prepared);
      if (failure) return { ...base, ok: false, error: `check failed: ${failure}` };
    }
    return { ...base, ok: true, error: null };
  });
  return { agent, outcome };
}

/** Runs the output-quality gate; returns why it failed, or undefined when it passed. */
function runCheck(command: string, prepared: PreparedStep): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], {
      cwd: prepared.cwd,
      env: prepared.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-500);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      } catch {
        // gone
      }
    }, CHECK_TIMEOUT_MS);
    child.on('error', (error) => resolve(error.message));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(undefined);
      else resolve(`${signal ? `killed by ${signal}` : `exit ${code}`}${tail.trim() ? `: ${tail.trim()}` : ''}`);
    });
  });
}
