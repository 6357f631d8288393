import type { ReferenceInput, RunReport } from '@paddock/contracts';
import { type BoxChannel, BoxChannelError, type BoxLayout, type SshConnection } from '@paddock/fleet';
import { type CheckOutcome, evaluateChecks } from './evaluate-checks';

export interface ReferenceOutcome {
  name: string;
  runId: string;
  runStatus: string | null;
  passed: boolean;
  error: string | null;
  checks: CheckOutcome[];
}

export interface ReferenceRun {
  channel: BoxChannel;
  connection: SshConnection;
  layout: BoxLayout;
  /** The chain file relative to the runtime root (the serve process runs there). */
  file: string;
  runId: string;
  reference: ReferenceInput;
  pollMs: number;
  signal?: AbortSignal | undefined;
}

const DONE = new Set(['succeeded', 'failed', 'rejected', 'cancelled']);

/**
 * Runs the chain version once on the box with a reference input and judges it: the run must succeed and every check
 * must pass. Repeating it (a retried job) follows the run already started under the same id instead of starting
 * another. Decision steps are answered from the reference's `decisions`; one without an answer fails the case.
 */
export async function runReference(run: ReferenceRun): Promise<ReferenceOutcome> {
  const { channel, reference, runId } = run;
  const base = { name: reference.name, runId };
  try {
    await channel.request({ op: 'run', file: run.file, inputs: reference.inputs, run_id: runId });
  } catch (error) {
    const exists = error instanceof BoxChannelError && error.remoteCode === 'conflict';
    if (!exists) {
      if (error instanceof BoxChannelError && error.failure === 'remote_error') {
        return {
          ...base,
          runStatus: null,
          passed: false,
          error: `the box refused the run: ${error.message}`,
          checks: [],
        };
      }
      throw error;
    }
  }
  const deadline = Date.now() + reference.timeoutSeconds * 1000;
  let status: RunReport;
  const answered = new Set<string>();
  for (;;) {
    run.signal?.throwIfAborted();
    status = await channel.request({ op: 'status', run_id: runId });
    if (DONE.has(status.status)) break;
    const unanswered: string[] = [];
    for (const step of status.steps) {
      if (!step.pending || answered.has(step.step)) continue;
      const option = reference.decisions[step.step];
      if (option === undefined) {
        unanswered.push(step.step);
        continue;
      }
      await channel.request({ op: 'decide', run_id: runId, step: step.step, option, by: 'staging' });
      answered.add(step.step);
    }
    if (unanswered.length > 0) {
      await cancel(channel, runId);
      return {
        ...base,
        runStatus: status.status,
        passed: false,
        error: `the run waits for decision ${unanswered.join(', ')}; give the answer in the reference's decisions`,
        checks: [],
      };
    }
    if (Date.now() > deadline) {
      await cancel(channel, runId);
      return {
        ...base,
        runStatus: status.status,
        passed: false,
        error: `the run did not finish within ${reference.timeoutSeconds} s and was cancelled`,
        checks: [],
      };
    }
    await new Promise((resolve) => setTimeout(resolve, run.pollMs));
  }
  const checks = await evaluateChecks(run.connection, run.layout, runId, reference.checks);
  const succeeded = status.status === 'succeeded';
  const failedStep = status.steps.find((step) => step.error);
  return {
    ...base,
    runStatus: status.status,
    passed: succeeded && checks.every((check) => check.passed),
    error: succeeded
      ? null
      : `the run ended ${status.status}${failedStep ? ` (step ${failedStep.step}: ${failedStep.error})` : ''}`,
    checks,
  };
}

async function cancel(channel: BoxChannel, runId: string): Promise<void> {
  await channel.request({ op: 'cancel', run_id: runId }).catch(() => undefined);
}
