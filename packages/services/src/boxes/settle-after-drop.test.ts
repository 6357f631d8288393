import { isAppError } from '@paddock/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalRuntime, type LocalRuntime } from '@paddock/testkit';
import { waitFor } from '@paddock/testkit/vitest';
import { BoxGateway } from './box-gateway';
import { localGatewayConnector } from './gateway-connectors';
import { type AskBox, settleCancel, settleDecide } from './settle-after-drop';

// Settling a decide or cancel whose channel dropped, against a real runtime (daemon and `chainctl serve --stdio` as
// local processes): what the box recorded decides, and nothing is ever decided twice.
let runtime: LocalRuntime;
let gateway: BoxGateway;
let ask: AskBox;

const CHAIN = `name: loop
agents:
  draft:
    run: echo draft
  review:
    needs: [draft]
    decision: { prompt: Good?, show: draft }
`;

beforeAll(async () => {
  runtime = createLocalRuntime('settle-');
  await runtime.startDaemon();
  gateway = new BoxGateway({ connector: localGatewayConnector(() => runtime.serve) });
  ask = (input) => gateway.request('box', input);
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await runtime?.cleanup();
});

async function waiting(runId: string, decidedBefore: number) {
  await waitFor('the review to wait', async () => {
    const status = await ask({ op: 'status', run_id: runId });
    const decided = (await ask({ op: 'events', run_id: runId, limit: 1000 })).events.filter(
      (e) => e.kind === 'decided',
    );
    return status.steps.find((s) => s.step === 'review')?.status === 'waiting' && decided.length === decidedBefore;
  });
}

const decidedCount = async (runId: string) =>
  (await ask({ op: 'events', run_id: runId, limit: 1000 })).events.filter((e) => e.kind === 'decided').length;

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isAppError(error)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

describe('settling an action after a dropped channel', () => {
  it('sends a pending decision once, answers a recorded one from the box, refuses an ambiguous round', async () => {
    await gateway.request('box', { op: 'run', text: CHAIN, run_id: 'loop-1' });
    await waiting('loop-1', 0);
    const changes = { op: 'decide', run_id: 'loop-1', step: 'review', option: 'request_changes', by: 'alice' } as const;
    // Still waiting, never decided: sent.
    const sent = await settleDecide(ask, { ...changes, note: 'shorter' });
    expect(sent.event).toMatchObject({ kind: 'decided', decision: { option: 'request_changes', by: 'alice' } });
    // The draft re-ran and the review waits again. The same request now may be the one already recorded: not sent.
    await waiting('loop-1', 1);
    const ambiguous = await refusal(settleDecide(ask, { ...changes, note: 'shorter' }));
    expect(ambiguous.code).toBe('box_unavailable');
    expect(await decidedCount('loop-1')).toBe(1);
    // Another note is another decision: sent.
    await settleDecide(ask, { ...changes, note: 'even shorter' });
    expect(await decidedCount('loop-1')).toBe(2);
    await waiting('loop-1', 2);

    const approve = { op: 'decide', run_id: 'loop-1', step: 'review', option: 'approve', by: 'alice' } as const;
    const approved = await settleDecide(ask, approve);
    // Recorded already (the answer was what got lost): the box's own event is the answer, nothing is written.
    const again = await settleDecide(ask, approve);
    expect(again.event).toEqual(approved.event);
    expect(await decidedCount('loop-1')).toBe(3);
    // Someone else's answer, or another option, is the conflict the box would have given.
    const other = await refusal(settleDecide(ask, { ...approve, by: 'bob' }));
    expect(other.code).toBe('conflict');
    expect(other.message).toContain('already decided: approve by alice');
    expect(await decidedCount('loop-1')).toBe(3);
  }, 60_000);

  it('answers a cancel the box recorded with its event, and sends it when it was not', async () => {
    await gateway.request('box', { op: 'run', text: CHAIN, run_id: 'loop-2' });
    await waiting('loop-2', 0);
    const first = await settleCancel(ask, { op: 'cancel', run_id: 'loop-2' });
    expect(first.event).toMatchObject({ kind: 'cancelled', step: '_run' });
    const again = await settleCancel(ask, { op: 'cancel', run_id: 'loop-2' });
    expect(again.event).toEqual(first.event);
    const events = (await ask({ op: 'events', run_id: 'loop-2', limit: 1000 })).events;
    expect(events.filter((e) => e.kind === 'cancelled' && e.step === '_run')).toHaveLength(1);
  }, 60_000);
});
