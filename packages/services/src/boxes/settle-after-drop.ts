import { AppError, type DecisionRecord, type ProtocolOp, RUN_STEP, type RunEvent } from '@paddock/contracts';
import type { BoxRequestFor, ProtocolResult } from '@paddock/fleet';

/** Sends one request on the box's channel (opened again if it dropped), without repeating anything. */
export type AskBox = <O extends ProtocolOp>(input: BoxRequestFor<O>) => Promise<ProtocolResult<O>>;

const EVENTS_PAGE = 1000;

/**
 * A `decide` whose channel dropped before its answer: it may or may not have reached the box. The box's own record
 * says which, so the decision is made exactly once: recorded with this option and decider → that is the answer;
 * still waiting → it is sent once more; anything else → the conflict, as the box would have answered it.
 *
 * One case stays open: the step waits again (a `request_changes` was recorded and the draft already re-ran, or the
 * chain was replayed) and the step's last decision is identical to this one. That may be this very request, so it is
 * not sent again; the caller gets a 503 and can look at the run before answering the new round.
 */
export async function settleDecide(ask: AskBox, input: BoxRequestFor<'decide'>): Promise<ProtocolResult<'decide'>> {
  const status = await ask({ op: 'status', run_id: input.run_id });
  const step = status.steps.find((s) => s.step === input.step);
  // No such step: sending again costs nothing and gets the box's own refusal.
  if (!step) return ask(input);
  const mine = (d: DecisionRecord | null | undefined) =>
    !!d && !d.timed_out && d.option === input.option && d.by === input.by && d.note === (input.note ?? null);
  if (step.decision) {
    if (mine(step.decision)) {
      const decided = await lastEvent(ask, input.run_id, (e) => e.step === input.step && e.kind === 'decided');
      if (decided && mine(decided.decision)) return { event: decided };
    }
    const d = step.decision;
    throw new AppError(
      'conflict',
      d.timed_out
        ? `${input.step} timed out at ${step.finished_at}; "${d.option}" was applied.`
        : `${input.step} was already decided: ${d.option} by ${d.by} at ${step.finished_at}.`,
    );
  }
  if (status.status === 'cancelled') throw new AppError('conflict', `Run ${input.run_id} is cancelled.`);
  if (step.status !== 'waiting') {
    throw new AppError('conflict', `${input.step} is not waiting for a decision (it is ${step.status}).`);
  }
  const earlier = await lastEvent(ask, input.run_id, (e) => e.step === input.step && e.kind === 'decided');
  if (earlier && mine(earlier.decision)) {
    throw new AppError(
      'box_unavailable',
      `The connection to the box dropped while deciding ${input.step}, and the box shows the same decision in ` +
        'an earlier round: it is not sent again. Look at the run before answering the new round.',
    );
  }
  return ask(input);
}

/**
 * A `cancel` whose channel dropped before its answer. Cancelling is idempotent in effect: a run the box shows
 * cancelled is answered with its cancel event; a finished one is the conflict; otherwise it is sent once more.
 */
export async function settleCancel(ask: AskBox, input: BoxRequestFor<'cancel'>): Promise<ProtocolResult<'cancel'>> {
  const status = await ask({ op: 'status', run_id: input.run_id });
  if (status.status === 'cancelled') {
    const cancelled = await lastEvent(ask, input.run_id, (e) => e.step === RUN_STEP && e.kind === 'cancelled');
    if (cancelled) return { event: cancelled };
  }
  if (status.finished) throw new AppError('conflict', `Run ${input.run_id} is already ${status.status}.`);
  return ask(input);
}

/** The run's last event matching `match`, read page by page from the box. */
async function lastEvent(ask: AskBox, runId: string, match: (e: RunEvent) => boolean): Promise<RunEvent | undefined> {
  let found: RunEvent | undefined;
  let since: string | undefined;
  for (;;) {
    const page = await ask({ op: 'events', run_id: runId, limit: EVENTS_PAGE, ...(since ? { since } : {}) });
    for (const { cursor: _cursor, ...event } of page.events) if (match(event)) found = event;
    if (page.events.length < EVENTS_PAGE || !page.cursor || page.cursor === since) return found;
    since = page.cursor;
  }
}
