import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeBoxCaps } from './box-caps';
import { appendEvent } from './event-store';
import { formatCursor, readJournal } from './journal';
import { rootLayout, runLayout } from './paths';
import { RunAdmission } from './run-admission';
import { type TempBox, tempBox } from './test-support';

// The box's own judgement of a new run: the caps file the control plane sent, and the usage the box's runs reported
// after the cursor the control plane's budget covers.
let box: TempBox;
afterEach(() => box?.cleanup());

const spend = (runId: string, costUsd: number) => {
  mkdirSync(runLayout(box.root, runId).dir, { recursive: true });
  return appendEvent(
    box.root,
    runId,
    { step: 'a', kind: 'complete', status: 'complete', cost_usd: costUsd, input_tokens: 1, output_tokens: 1 },
    { noSync: true },
  );
};
const journalEnd = () => formatCursor(readJournal(box.root, 0).next);
const caps = (maxRuns: number | null, budget?: { remaining: number; cursor: string }) =>
  writeBoxCaps(box.root, {
    max_concurrent_runs: maxRuns,
    budget: budget ? { remaining_micros: budget.remaining, cursor: budget.cursor, period: '2026-12' } : null,
    issued_at: new Date().toISOString(),
  });

describe('RunAdmission', () => {
  it('admits anything without a caps file, and holds the concurrency limit with one', () => {
    box = tempBox();
    const admission = new RunAdmission(box.root);
    expect(admission.judge(1_000)).toBeUndefined();
    caps(2);
    expect(admission.judge(1)).toBeUndefined();
    expect(admission.judge(2)).toMatchObject({
      code: 'plan_limit_reached',
      data: { code: 'plan_limit_reached', limit: 'maxConcurrentRuns', current: 2, maximum: 2 },
    });
  });

  it('spends the budget by the usage reported after the cursor, and starts again from a new cursor', async () => {
    box = tempBox();
    const admission = new RunAdmission(box.root);
    await spend('before', 0.5); // counted by the control plane already: before the cursor it sends
    caps(null, { remaining: 5000, cursor: journalEnd() });
    expect(admission.judge(0)).toBeUndefined();
    await spend('r1', 0.003);
    expect(admission.judge(0)).toBeUndefined();
    await spend('r1', 0.003);
    expect(admission.judge(0)).toMatchObject({
      code: 'spend_cap_reached',
      data: { limit: 'spendCap', current: 6000, maximum: 5000 },
    });
    // The control plane collected those events and sends the budget left at its new cursor.
    caps(null, { remaining: 1000, cursor: journalEnd() });
    expect(admission.judge(0)).toBeUndefined();
    await spend('r2', 0.000999);
    expect(admission.judge(0)).toBeUndefined();
    await spend('r2', 0.000001);
    expect(admission.judge(0)).toMatchObject({ code: 'spend_cap_reached', data: { current: 1000, maximum: 1000 } });
    // Nothing left at all: refused before any usage.
    caps(null, { remaining: 0, cursor: journalEnd() });
    expect(admission.judge(0)).toMatchObject({ code: 'spend_cap_reached', data: { current: 0, maximum: 0 } });
  });

  it('counts a journal reset from its start, and starts nothing with an unreadable caps file', async () => {
    box = tempBox();
    const admission = new RunAdmission(box.root);
    await spend('r1', 0.002);
    caps(null, { remaining: 1000, cursor: formatCursor(10_000_000) }); // past the end: the journal was reset
    expect(admission.judge(0)).toMatchObject({ code: 'spend_cap_reached', data: { current: 2000 } });
    writeFileSync(rootLayout(box.root).capsFile, '{"max_concurrent_runs": "many"');
    expect(admission.judge(0)).toMatchObject({ code: 'caps_unreadable', data: { limit: 'caps' } });
    writeFileSync(join(box.root, 'caps.json'), JSON.stringify({ max_concurrent_runs: 'many' }));
    expect(admission.judge(0)?.code).toBe('caps_unreadable');
  });
});
