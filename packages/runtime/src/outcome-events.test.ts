import { AgentStepSchema } from '@paddock/contracts';
import { describe, expect, it } from 'vitest';
import { type OutcomeContext, outcomeEvents } from './outcome-events';
import type { StepOutcome } from './run-step';

const failed: StepOutcome = {
  ok: false,
  exitCode: 3,
  error: 'exit code 3',
  killedBy: null,
  usage: { model: 'm', input_tokens: 10, output_tokens: 5, cost_usd: 0.01, reported: true },
  durationSeconds: 1.5,
  outputPath: '/out',
  outputBytes: 42,
};

function context(over: Partial<OutcomeContext>): OutcomeContext {
  const def = AgentStepSchema.parse({ run: 'true', retries: 1, backoff: '2s' });
  return { step: 'a', attempt: 1, def, outcome: failed, superseded: false, cancelled: false, failures: 0, ...over };
}

const shape = (ctx: OutcomeContext) => outcomeEvents(ctx).map((e) => [e.kind, e.status, e.error ?? null]);

describe('outcomeEvents (how an attempt ended, in write order)', () => {
  it('a success is one complete event carrying usage', () => {
    const [event, ...rest] = outcomeEvents(context({ outcome: { ...failed, ok: true, exitCode: 0, error: null } }));
    expect(rest).toEqual([]);
    expect(event).toMatchObject({ kind: 'complete', status: 'complete', attempt: 1, tokens_used: 15, exit_code: 0 });
    // The output's size rides on the ending event (the control plane's output-size signals).
    expect(event).toMatchObject({ output_path: '/out', output_bytes: 42 });
  });

  it('a failure is retried while retries are left, then fails naming the attempts', () => {
    expect(shape(context({ failures: 0 }))).toEqual([['retry', 'retrying', 'exit code 3']]);
    expect(outcomeEvents(context({ failures: 0 }))[0]?.data).toMatchObject({ retries_left: 0 });
    expect(shape(context({ failures: 1 }))).toEqual([['error', 'failed', 'exit code 3 (after 2 attempts)']]);
  });

  it('a watchdog kill writes killed before the retry or error', () => {
    const outcome = { ...failed, killedBy: 'idle' as const, error: 'idle' };
    expect(shape(context({ outcome }))).toEqual([
      ['killed', 'running', 'idle'],
      ['retry', 'retrying', 'idle'],
    ]);
  });

  it('a shutdown writes killed and the one uncharged interrupted retry', () => {
    const events = outcomeEvents(context({ outcome: { ...failed, killedBy: 'shutdown' }, failures: 1 }));
    expect(events.map((e) => [e.kind, e.status])).toEqual([
      ['killed', 'running'],
      ['retry', 'retrying'],
    ]);
    expect(events[1]?.data).toMatchObject({ counts: false, reason: 'shutdown' });
  });

  it('a superseded or cancelled attempt is only marked killed, never retried', () => {
    expect(shape(context({ superseded: true }))).toEqual([
      ['killed', 'pending', 'stopped: the run was replayed or changed'],
    ]);
    const outcome = { ...failed, killedBy: 'cancel' as const };
    expect(shape(context({ outcome, cancelled: true }))).toEqual([
      ['killed', 'cancelled', 'stopped: the run was cancelled'],
    ]);
  });
});
