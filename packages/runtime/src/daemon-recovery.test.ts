import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Daemon } from './daemon';
import { daemonStatus, isProcessAlive } from './daemon-state';
import { finished, kinds, startTestDaemon, waitUntil } from './daemon-test-support';
import { readRunEvents } from './event-store';
import { attemptLayout, ptyLogPath, runLayout, stepLayout } from './paths';
import { type TempBox, tempBox } from './test-support';

let box: TempBox;
let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.stop(0);
  daemon = undefined;
  const status = box ? daemonStatus(box.root) : undefined;
  if (status?.pid && status.pid !== process.pid) process.kill(status.pid, 'SIGKILL');
  box?.cleanup();
});

const THREE = `name: three
agents:
  a: { run: 'echo a-$(date +%s%N)' }
  b: { needs: [a], input: a, run: 'cat; echo b' }
  c: { needs: [b], input: b, run: 'cat; echo c' }
`;

describe('replay, resume, cancel', () => {
  it('replay --from re-runs the step and everything downstream as their next attempts; the replaced ones stay', async () => {
    box = tempBox();
    daemon = await startTestDaemon(box);
    await box.cli('run', box.file('t.yaml', THREE), '--id', 'rp');
    await finished(box, 'rp');
    const run = runLayout(box.root, 'rp');
    const aOutput = readFileSync(stepLayout(run, 'a').output, 'utf8');
    const firstB = readFileSync(attemptLayout(run, 'b', 1).output, 'utf8');
    const firstBLog = readFileSync(ptyLogPath(run, 'b', 1), 'utf8');
    const res = await box.cli('replay', 'rp', '--from', 'b', '--json');
    expect(res.code).toBe(0);
    expect((res.json() as { event: { data: { replaced: string[] } } }).event.data.replaced).toEqual([
      '000004-b.started.json',
      '000005-b.complete.json',
      '000006-c.started.json',
      '000007-c.complete.json',
    ]);
    const done = await waitUntil(box, 'rp', (r) => r.state.finished && r.state.steps.get('c')?.status === 'complete');
    expect(done.state.status).toBe('succeeded');
    // The replaced attempts' events are still there, and the new ones are attempt 2.
    expect(kinds(box, 'rp').filter((k) => k.endsWith('.started'))).toEqual([
      'a.started',
      'b.started',
      'c.started',
      'b.started',
      'c.started',
    ]);
    const starts = readRunEvents(box.root, 'rp').events.filter((e) => e.kind === 'started');
    expect(starts.map((e) => `${e.step}#${e.attempt}`)).toEqual(['a#1', 'b#1', 'c#1', 'b#2', 'c#2']);
    const ends = readRunEvents(box.root, 'rp').events.filter((e) => e.kind === 'complete');
    expect(ends.map((e) => e.output_path)).toEqual([
      attemptLayout(run, 'a', 1).output,
      attemptLayout(run, 'b', 1).output,
      attemptLayout(run, 'c', 1).output,
      attemptLayout(run, 'b', 2).output,
      attemptLayout(run, 'c', 2).output,
    ]);
    expect(done.state.steps.get('b')?.attempt).toBe(2);
    // Nothing the first attempt wrote was overwritten; the usual paths are the latest attempt's files.
    expect(readFileSync(attemptLayout(run, 'b', 1).output, 'utf8')).toBe(firstB);
    expect(readFileSync(ptyLogPath(run, 'b', 1), 'utf8')).toBe(firstBLog);
    expect(statSync(stepLayout(run, 'b').output).ino).toBe(statSync(attemptLayout(run, 'b', 2).output).ino);
    expect(statSync(ptyLogPath(run, 'b')).ino).toBe(statSync(ptyLogPath(run, 'b', 2)).ino);
    expect(readFileSync(stepLayout(run, 'a').output, 'utf8')).toBe(aOutput);
  });

  it('deleting event files by hand and resume does the same; a failed run resumes its failed step', async () => {
    box = tempBox();
    daemon = await startTestDaemon(box);
    await box.cli(
      'run',
      box.file('t.yaml', THREE.replace("'cat; echo c'", "'test -f ok || exit 3; cat'")),
      '--id',
      'rs',
    );
    expect((await finished(box, 'rs')).state.status).toBe('failed');
    writeFileSync(join(runLayout(box.root, 'rs').workDir, 'ok'), '');
    expect((await box.cli('resume', 'rs')).code).toBe(0);
    const resumed = await waitUntil(box, 'rs', (r) => r.state.finished && r.state.status === 'succeeded');
    expect(resumed.state.steps.get('c')?.status).toBe('complete');
    const { eventsDir } = runLayout(box.root, 'rs');
    for (const file of readRunEvents(box.root, 'rs').files.filter((f) => /-c\.|_run\.finished/.test(f))) {
      rmSync(join(eventsDir, file));
    }
    expect((await box.cli('resume', 'rs')).code).toBe(0);
    await waitUntil(box, 'rs', (r) => r.state.finished);
    expect(kinds(box, 'rs').filter((k) => k === 'c.started')).toHaveLength(1);
    expect(kinds(box, 'rs').filter((k) => k === 'b.started')).toHaveLength(1);
  });

  it('cancel stops a running step and closes the run', async () => {
    box = tempBox();
    daemon = await startTestDaemon(box);
    await box.cli('run', box.file('t.yaml', 'name: long\nagents:\n  long: { run: sleep 30 }\n'), '--id', 'cx');
    await waitUntil(box, 'cx', (r) => r.state.steps.get('long')?.status === 'running');
    expect((await box.cli('cancel', 'cx')).code).toBe(0);
    const done = await finished(box, 'cx', 5_000);
    expect(done.state.status).toBe('cancelled');
    expect(done.state.steps.get('long')?.status).toBe('cancelled');
    expect((await box.cli('cancel', 'cx')).code).toBe(4);
  });
});

describe('recovery', () => {
  it('kill -9 of the daemon mid-run: nothing re-run twice, the running step retried, no event lost or duplicated', async () => {
    box = tempBox();
    const up = await box.cli('daemon', '--detach', '--json');
    expect(up.code).toBe(0);
    const firstPid = (up.json() as { pid: number }).pid;
    const chain = `name: rec
agents:
  a: { run: 'echo a >> ../a-runs; echo a' }
  b: { needs: [a], run: 'echo b >> ../b-runs; echo b-start; if [ "$CHAIN_ATTEMPT" = 1 ]; then sleep 30; fi' }
  c: { needs: [a], run: 'echo c >> ../c-runs; echo c' }
`;
    await box.cli('run', box.file('r.yaml', chain), '--id', 'rec');
    const mid = await waitUntil(
      box,
      'rec',
      (r) => r.state.steps.get('b')?.status === 'running' && r.state.steps.get('c')?.status === 'complete',
    );
    const agentPid = mid.state.steps.get('b')?.pid as number;
    process.kill(firstPid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    expect(isProcessAlive(firstPid)).toBe(false);
    const again = await box.cli('daemon', '--detach', '--json');
    expect(again.code).toBe(0);
    const done = await finished(box, 'rec');
    expect(done.state.status).toBe('succeeded');
    const work = runLayout(box.root, 'rec').dir;
    expect(readFileSync(join(work, 'a-runs'), 'utf8')).toBe('a\n');
    expect(readFileSync(join(work, 'c-runs'), 'utf8')).toBe('c\n');
    expect(readFileSync(join(work, 'b-runs'), 'utf8')).toBe('b\nb\n');
    expect(kinds(box, 'rec').filter((k) => k.startsWith('b.'))).toEqual([
      'b.started',
      'b.retry',
      'b.started',
      'b.complete',
    ]);
    const events = readRunEvents(box.root, 'rec');
    expect(events.malformed).toEqual([]);
    expect(events.events.map((e) => e.seq)).toEqual(events.events.map((_, i) => i + 1));
    expect(events.events.find((e) => e.kind === 'retry')?.error).toMatch(/interrupted/);
    expect(isProcessAlive(agentPid) && readFileSync(`/proc/${agentPid}/stat`, 'utf8').split(' ')[2] !== 'Z').toBe(
      false,
    );
    const all = (await box.cli('events', '--run', 'rec', '--since', '0', '--json')).lines() as { seq: number }[];
    expect(all.map((e) => e.seq)).toEqual(events.events.map((e) => e.seq));
    expect((await box.cli('daemon', 'stop', '--json')).code).toBe(0);
  });

  it('a graceful stop drains: running steps get the drain time, then are retried by the next daemon', async () => {
    box = tempBox();
    expect((await box.cli('daemon', '--detach', '--drain-timeout', '300', '--json')).code).toBe(0);
    const chain = `name: drain
agents:
  quick: { run: 'sleep 0.1; echo quick' }
  slow: { run: 'echo slow-$CHAIN_ATTEMPT; if [ "$CHAIN_ATTEMPT" = 1 ]; then sleep 30; fi' }
`;
    await box.cli('run', box.file('d.yaml', chain), '--id', 'drain');
    await waitUntil(
      box,
      'drain',
      (r) => r.state.steps.get('slow')?.status === 'running' && r.state.steps.get('quick')?.status === 'running',
    );
    const stop = await box.cli('daemon', 'stop', '--json');
    expect(stop.json()).toMatchObject({ ok: true, stopped: true });
    const stopped = readRunEvents(box.root, 'drain').events;
    expect(stopped.filter((e) => e.step === 'quick').map((e) => e.kind)).toEqual(['started', 'complete']);
    expect(stopped.filter((e) => e.step === 'slow').map((e) => e.kind)).toEqual(['started', 'killed', 'retry']);
    expect(stopped.find((e) => e.step === 'slow' && e.kind === 'retry')?.data).toMatchObject({
      counts: false,
      reason: 'shutdown',
    });
    expect((await box.cli('health', '--json')).code).toBe(1);
    expect((await box.cli('daemon', '--detach', '--json')).code).toBe(0);
    const health = await box.cli('health', '--json');
    expect(health.code).toBe(0);
    expect(health.json()).toMatchObject({ ok: true, daemon: { running: true, healthy: true } });
    const done = await finished(box, 'drain');
    expect(done.state.status).toBe('succeeded');
    expect(kinds(box, 'drain').filter((k) => k === 'quick.started')).toHaveLength(1);
    expect(readFileSync(stepLayout(runLayout(box.root, 'drain'), 'slow').output, 'utf8')).toBe('slow-2\n');
    expect((await box.cli('daemon', 'stop', '--json')).code).toBe(0);
  });

  it('lists in the journal an event a killed writer renamed in but never journaled', async () => {
    box = tempBox();
    await box.cli('run', box.file('j.yaml', 'name: j\nagents:\n  a: { run: echo a }\n'), '--id', 'j');
    // What a writer killed between rename and journal append leaves behind: the file, no journal line.
    const orphan = {
      run_id: 'j',
      seq: 2,
      step: '_run',
      kind: 'cancelled',
      status: 'cancelled',
      timestamp: new Date().toISOString(),
    };
    writeFileSync(join(runLayout(box.root, 'j').eventsDir, '000002-_run.cancelled.json'), JSON.stringify(orphan));
    const before = (await box.cli('events', '--since', '0', '--json')).lines() as { kind: string }[];
    expect(before.map((e) => e.kind)).toEqual(['created']);
    daemon = await startTestDaemon(box);
    const done = await finished(box, 'j');
    expect(done.state.status).toBe('cancelled');
    const after = (await box.cli('events', '--since', '0', '--json')).lines() as { kind: string; seq: number }[];
    expect(after.map((e) => `${e.seq}:${e.kind}`)).toEqual(['1:created', '2:cancelled', '3:finished']);
  });
});
