import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Daemon } from './daemon';
import { finished, kinds, startTestDaemon, waitUntil } from './daemon-test-support';
import { readRunEvents } from './event-store';
import { attemptLayout, runLayout, stepLayout } from './paths';
import { type TempBox, tempBox } from './test-support';

let box: TempBox;
let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.stop(0);
  daemon = undefined;
  box?.cleanup();
});

const REVIEW = (decisionExtra = '') => `name: review
agents:
  draft:
    input: { run_input: topic }
    run: cat; echo; echo "draft v$(( $(cat ../n 2>/dev/null || echo 0) + 1 ))" ; echo $(( $(cat ../n 2>/dev/null || echo 0) + 1 )) > ../n
    workdir: draft
  review:
    needs: [draft]
    decision:
      prompt: Publish this draft?
      show: draft
      approvers: [alice, bob]${decisionExtra}
  publish:
    needs: [review]
    input: draft
    run: cat
  notify:
    needs: [review]
    when: { decision: review, option: reject }
    run: echo rejected
`;

async function startAndWaitForDecision(id: string, chain = REVIEW()) {
  const res = await box.cli('run', box.file(`${id}.yaml`, chain), '--id', id, '--input', 'topic=cats', '--json');
  expect(res.code).toBe(0);
  return waitUntil(box, id, (r) => r.state.steps.get('review')?.status === 'waiting');
}

describe('daemon: decisions pause a run without holding a process', () => {
  it('approve: runs the approved branch, skips the reject branch; a second decision is refused', async () => {
    box = tempBox();
    daemon = await startTestDaemon(box);
    const waiting = await startAndWaitForDecision('ok');
    const pending = readRunEvents(box.root, 'ok').events.find((e) => e.kind === 'decision_pending');
    expect(pending?.data).toMatchObject({
      prompt: 'Publish this draft?',
      options: ['approve', 'reject', 'request_changes'],
    });
    expect(pending?.output_path).toBe(stepLayout(runLayout(box.root, 'ok'), 'draft').output);
    expect(waiting.state.status).toBe('waiting');
    expect(daemon.stats.runningSteps).toBe(0);
    const mallory = await box.cli('decide', 'ok', 'review', 'approve', '--by', 'mallory', '--json');
    expect(mallory.code).toBe(4);
    expect(mallory.out).toContain('mallory may not decide review');
    const bad = await box.cli('decide', 'ok', 'review', 'maybe', '--by', 'alice');
    expect(bad.err).toContain('"maybe" is not an option of review');
    const yes = await box.cli('decide', 'ok', 'review', 'approve', '--by', 'alice', '--note', 'ship it', '--json');
    expect(yes.code).toBe(0);
    const done = await finished(box, 'ok');
    expect(done.state.status).toBe('succeeded');
    expect(done.state.steps.get('notify')?.status).toBe('skipped');
    expect(readFileSync(stepLayout(runLayout(box.root, 'ok'), 'publish').output, 'utf8')).toBe('cats\ndraft v1\n');
    const decided = readRunEvents(box.root, 'ok').events.find((e) => e.kind === 'decided');
    expect(decided?.decision).toEqual({ option: 'approve', by: 'alice', note: 'ship it', timed_out: false });
    const again = await box.cli('decide', 'ok', 'review', 'reject', '--by', 'bob');
    expect(again.code).toBe(4);
    expect(again.err).toContain('review was already decided: approve by alice');
    expect(readRunEvents(box.root, 'ok').events.filter((e) => e.kind === 'decided')).toHaveLength(1);
  });

  it('reject: skips what needs approval, runs the `when: reject` branch, run ends rejected', async () => {
    box = tempBox();
    daemon = await startAndWaitForDecisionSetup();
    await startAndWaitForDecision('no');
    expect((await box.cli('decide', 'no', 'review', 'reject', '--by', 'bob')).code).toBe(0);
    const done = await finished(box, 'no');
    expect(done.state.status).toBe('rejected');
    expect(done.state.steps.get('publish')?.status).toBe('skipped');
    expect(done.state.steps.get('notify')?.status).toBe('complete');
  });

  it('request_changes: re-runs the shown step with the note on stdin, then asks again', async () => {
    box = tempBox();
    daemon = await startAndWaitForDecisionSetup();
    await startAndWaitForDecision('rc');
    const res = await box.cli('decide', 'rc', 'review', 'request_changes', '--by', 'alice', '--note', 'more dogs');
    expect(res.code).toBe(0);
    await waitUntil(
      box,
      'rc',
      (r) =>
        r.state.steps.get('review')?.status === 'waiting' &&
        r.state.steps.get('draft')?.attempt === 2 &&
        kinds(box, 'rc').filter((k) => k === 'review.decision_pending').length === 2,
    );
    const draft = readFileSync(stepLayout(runLayout(box.root, 'rc'), 'draft').output, 'utf8');
    expect(draft).toBe('cats\n\n## Changes requested by alice\nmore dogs\n\ndraft v2\n');
    // The loop's new attempt of draft is attempt 2; attempt 1's output is still there, untouched.
    const run = runLayout(box.root, 'rc');
    expect(readFileSync(attemptLayout(run, 'draft', 2).output, 'utf8')).toBe(draft);
    expect(readFileSync(attemptLayout(run, 'draft', 1).output, 'utf8')).toBe('cats\ndraft v1\n');
    const reviews = readRunEvents(box.root, 'rc').events.filter((e) => e.step === 'review');
    expect(reviews.map((e) => `${e.kind}#${e.attempt}`)).toEqual([
      'decision_pending#1',
      'decided#1',
      'decision_pending#2',
    ]);
    expect((await box.cli('decide', 'rc', 'review', 'approve', '--by', 'bob')).code).toBe(0);
    const done = await finished(box, 'rc');
    expect(done.state.status).toBe('succeeded');
    expect(kinds(box, 'rc').filter((k) => k.startsWith('draft.'))).toEqual([
      'draft.started',
      'draft.complete',
      'draft.started',
      'draft.complete',
    ]);
  });

  it('timeout: applies on_timeout, and a late decision is refused with a clear message', async () => {
    box = tempBox();
    daemon = await startAndWaitForDecisionSetup();
    await startAndWaitForDecision('late', REVIEW('\n      timeout: 300ms\n      on_timeout: reject'));
    const done = await finished(box, 'late');
    expect(done.state.status).toBe('rejected');
    const decided = readRunEvents(box.root, 'late').events.find((e) => e.kind === 'decided');
    expect(decided?.decision).toEqual({ option: 'reject', by: 'timeout', note: null, timed_out: true });
    const late = await box.cli('decide', 'late', 'review', 'approve', '--by', 'alice');
    expect(late.code).toBe(4);
    expect(late.err).toMatch(/review timed out at .*; "reject" was applied/);
  });
});

function startAndWaitForDecisionSetup() {
  return startTestDaemon(box);
}
