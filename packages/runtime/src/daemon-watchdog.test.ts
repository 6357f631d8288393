import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Daemon } from './daemon';
import { finished, kinds, startTestDaemon } from './daemon-test-support';
import { readRunEvents } from './event-store';
import { type TempBox, tempBox } from './test-support';

let box: TempBox;
let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.stop(0);
  daemon = undefined;
  box?.cleanup();
});

/** Alive and not a zombie (a killed process whose parent is gone may linger as a zombie until init reaps it). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

async function start(chain: string, id: string) {
  const res = await box.cli('run', box.file(`${id}.yaml`, chain), '--id', id, '--json');
  expect(res.code).toBe(0);
  return finished(box, id);
}

describe('daemon: retries and the watchdog', () => {
  it('retries a failing step with backoff until it passes', async () => {
    box = tempBox();
    daemon = await startTestDaemon(box);
    const run = await start(
      `name: flaky
agents:
  flaky:
    retries: 2
    backoff: { delay: 50ms, factor: 2 }
    run: |
      n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count
      echo "attempt $n"; test $n -ge 3
  after: { needs: [flaky], run: echo after }
`,
      'flaky',
    );
    expect(run.state.status).toBe('succeeded');
    expect(kinds(box, 'flaky').filter((k) => k.startsWith('flaky.'))).toEqual([
      'flaky.started',
      'flaky.retry',
      'flaky.started',
      'flaky.retry',
      'flaky.started',
      'flaky.complete',
    ]);
    const events = readRunEvents(box.root, 'flaky').events;
    expect(events.filter((e) => e.kind === 'retry').map((e) => e.error)).toEqual([
      'agent exited with code 1',
      'agent exited with code 1',
    ]);
    expect(events.filter((e) => e.kind === 'started').map((e) => e.attempt)).toEqual([1, 2, 3, 1]);
  });

  it('fails the run with a clear error when retries run out, and runs nothing downstream', async () => {
    box = tempBox();
    daemon = await startTestDaemon(box);
    const run = await start(
      `name: broken
agents:
  broken: { retries: 1, backoff: 10ms, run: 'echo nope; exit 7' }
  after: { needs: [broken], run: echo never }
`,
      'broken',
    );
    expect(run.state.status).toBe('failed');
    const events = readRunEvents(box.root, 'broken').events;
    expect(events.find((e) => e.kind === 'error')).toMatchObject({
      step: 'broken',
      exit_code: 7,
      error: 'agent exited with code 7 (after 2 attempts)',
    });
    expect(events.some((e) => e.step === 'after')).toBe(false);
    expect(events.at(-1)).toMatchObject({ kind: 'finished', status: 'failed' });
  });

  it('alerts on a silent agent, kills its whole process group and retries it', async () => {
    box = tempBox();
    daemon = await startTestDaemon(box);
    const run = await start(
      `name: idle
agents:
  stuck:
    idle_timeout: 300ms
    retries: 1
    backoff: 10ms
    run: |
      n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count
      if [ $n -eq 1 ]; then sleep 30 & echo $! > child.pid; echo waiting; wait; fi
      echo done
`,
      'idle',
    );
    expect(run.state.status).toBe('succeeded');
    expect(kinds(box, 'idle').filter((k) => k.startsWith('stuck.'))).toEqual([
      'stuck.started',
      'stuck.alert',
      'stuck.killed',
      'stuck.retry',
      'stuck.started',
      'stuck.complete',
    ]);
    const events = readRunEvents(box.root, 'idle').events;
    expect(events.find((e) => e.kind === 'alert')?.message).toMatch(/no terminal output for 300ms/);
    expect(events.find((e) => e.kind === 'retry')?.error).toMatch(/killed by the watchdog/);
    const grandchild = Number(readFileSync(`${box.root}/runs/idle/work/child.pid`, 'utf8'));
    expect(isRunning(grandchild)).toBe(false);
  });

  it('bounds a step with timeout and gates output with check', async () => {
    box = tempBox();
    daemon = await startTestDaemon(box);
    const slow = await start(`name: slow\nagents:\n  slow: { timeout: 300ms, run: 'echo tick; sleep 20' }\n`, 'slow');
    expect(slow.state.status).toBe('failed');
    expect(readRunEvents(box.root, 'slow').events.find((e) => e.kind === 'error')?.error).toBe(
      'step timed out after 300ms',
    );
    const gated = await start(
      `name: gated\nagents:\n  gated: { check: 'grep -q "^ok" "$CHAIN_OUTPUT" || { echo "no ok line" >&2; exit 1; }', run: 'echo bad' }\n`,
      'gated',
    );
    expect(gated.state.status).toBe('failed');
    expect(readRunEvents(box.root, 'gated').events.find((e) => e.kind === 'error')?.error).toBe(
      'check failed: exit 1: no ok line',
    );
  });
});
