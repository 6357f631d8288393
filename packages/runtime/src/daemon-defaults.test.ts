import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readBoxConfig } from './box-config';
import type { Daemon } from './daemon';
import { finished, kinds, startTestDaemon } from './daemon-test-support';
import { readRunEvents } from './event-store';
import { type TempBox, tempBox } from './test-support';

// The defaults of issue 12, on a real daemon with real PTYs: what an agent reads on stdin when the chain says nothing,
// and the watchdog limits every agent step gets from the box when neither it nor its chain sets one.
let box: TempBox;
let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.stop(0);
  daemon = undefined;
  box?.cleanup();
});

async function start(chain: string, id: string) {
  const res = await box.cli('run', box.file(`${id}.yaml`, chain), '--id', id, '--json');
  expect(res.code).toBe(0);
  return finished(box, id);
}

const output = (run: string, step: string) =>
  readFileSync(join(box.root, 'runs', run, 'steps', step, 'output'), 'utf8');

describe('stdin defaults', () => {
  it('gives a step with needs and no input its upstream outputs on stdin, in needs order, and EOF after them', async () => {
    box = tempBox();
    // The box's default idle timeout is off here: a step that waited on its terminal would hang the test, not pass it.
    daemon = await startTestDaemon(box, 16, 'fork-server', 'fsync', { idle_timeout: 'none', timeout: 'none' });
    const run = await start(
      `name: article
agents:
  research: { run: 'echo "otters hold hands"' }
  outline: { needs: [research], run: "sh -c 'cat; echo done'" }
  examples: { needs: [research], run: "sh -c 'cat; echo done'" }
  both: { needs: [examples, outline], run: "sh -c 'echo [; cat; echo ]'" }
`,
      'article',
    );
    expect(run.state.status).toBe('succeeded');
    expect(output('article', 'outline')).toBe('otters hold hands\ndone\n');
    expect(output('article', 'examples')).toBe('otters hold hands\ndone\n');
    // Two needs: their outputs concatenated in `needs` order (examples first, as listed), not completion order.
    expect(output('article', 'both')).toBe('[\notters hold hands\ndone\notters hold hands\ndone\n]\n');
  });

  it('gives a step with neither needs nor input an empty stdin (EOF at once) while its output still goes to the PTY', async () => {
    box = tempBox();
    daemon = await startTestDaemon(box, 16, 'fork-server', 'fsync', { idle_timeout: 'none', timeout: 'none' });
    const run = await start(
      `name: alone
agents:
  alone:
    run: |
      n=$(wc -c); echo "read $n bytes"
      [ -t 0 ] && echo "stdin is a terminal" || echo "stdin is not a terminal"
      [ -t 1 ] && echo "stdout is a terminal"
      read answer; echo "answer: [$answer]"
`,
      'alone',
    );
    expect(run.state.status).toBe('succeeded');
    expect(output('alone', 'alone')).toBe('read 0 bytes\nstdin is not a terminal\nstdout is a terminal\nanswer: []\n');
  });

  it('keeps the live terminal as stdin for a step that says stdin: terminal', async () => {
    box = tempBox();
    daemon = await startTestDaemon(box, 16, 'fork-server', 'fsync', { idle_timeout: 'none', timeout: 'none' });
    const res = await box.cli(
      'run',
      box.file(
        'tty.yaml',
        'name: tty\nagents:\n  tty:\n    stdin: terminal\n    run: read answer; echo "got $answer"\n',
      ),
      '--id',
      'tty',
    );
    expect(res.code).toBe(0);
    // What a person attached with `chainctl attach --interactive` types reaches the agent through the PTY master.
    const agent = await waitForAgent('tty', 'tty');
    agent.write('typed by a person\r');
    const run = await finished(box, 'tty');
    expect(run.state.status).toBe('succeeded');
    expect(output('tty', 'tty')).toContain('got typed by a person');
  });
});

async function waitForAgent(run: string, step: string) {
  for (;;) {
    const agent = daemon?.agentOf(run, step);
    if (agent) {
      await agent.started;
      return agent;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('default watchdog limits', () => {
  it('kills a silent step with no limits of its own at the box-wide idle_timeout: alert, kill, retry, then error', async () => {
    box = tempBox();
    daemon = await startTestDaemon(box, 16, 'fork-server', 'fsync', { idle_timeout: '300ms', timeout: 'none' });
    const run = await start('name: quiet\nagents:\n  quiet: { retries: 1, backoff: 10ms, run: sleep 30 }\n', 'quiet');
    expect(run.state.status).toBe('failed');
    expect(kinds(box, 'quiet').filter((k) => k.startsWith('quiet.'))).toEqual([
      'quiet.started',
      'quiet.alert',
      'quiet.killed',
      'quiet.retry',
      'quiet.started',
      'quiet.alert',
      'quiet.killed',
      'quiet.error',
    ]);
    const events = readRunEvents(box.root, 'quiet').events;
    expect(events.find((e) => e.kind === 'alert')).toMatchObject({
      message: 'no terminal output for 300ms; killing the agent',
      data: { watchdog: 'idle', limit: '300ms', limit_ms: 300 },
    });
    expect(events.find((e) => e.kind === 'error')?.error).toBe(
      'no terminal output for 300ms: killed by the watchdog (after 2 attempts)',
    );
  });

  it('bounds a step with no limits of its own by the box-wide timeout, with an alert before the kill', async () => {
    box = tempBox();
    daemon = await startTestDaemon(box, 16, 'fork-server', 'fsync', { idle_timeout: 'none', timeout: '400ms' });
    const run = await start('name: long\nagents:\n  long: { run: sleep 30 }\n', 'long');
    expect(run.state.status).toBe('failed');
    expect(kinds(box, 'long').filter((k) => k.startsWith('long.'))).toEqual([
      'long.started',
      'long.alert',
      'long.killed',
      'long.error',
    ]);
    const events = readRunEvents(box.root, 'long').events;
    expect(events.find((e) => e.kind === 'alert')).toMatchObject({
      message: 'step ran longer than its timeout of 400ms; killing the agent',
      data: { watchdog: 'timeout', limit: '400ms' },
    });
    expect(events.find((e) => e.kind === 'error')?.error).toBe('step timed out after 400ms');
  });

  it("lets a chain's defaults override the box's, and a step's own values override the chain's", async () => {
    box = tempBox();
    daemon = await startTestDaemon(box, 16, 'fork-server', 'fsync', { idle_timeout: '300ms', timeout: '300ms' });
    const run = await start(
      `name: patient
defaults: { idle_timeout: none, timeout: none }
agents:
  slow: { run: 'sleep 1; echo slept' }
  strict: { needs: [slow], idle_timeout: 300ms, run: sleep 30 }
`,
      'patient',
    );
    expect(run.state.status).toBe('failed');
    expect(output('patient', 'slow')).toBe('slept\n');
    expect(readRunEvents(box.root, 'patient').events.find((e) => e.kind === 'error')).toMatchObject({
      step: 'strict',
      error: 'no terminal output for 300ms: killed by the watchdog',
    });
  });

  it('reads the box-wide defaults from config.json and refuses a bad one naming the field', () => {
    box = tempBox();
    mkdirSync(box.root, { recursive: true });
    expect(readBoxConfig(box.root)).toEqual({ idle_timeout: '10m', timeout: '60m' });
    writeFileSync(join(box.root, 'config.json'), '{"idle_timeout":"2m"}');
    expect(readBoxConfig(box.root)).toEqual({ idle_timeout: '2m', timeout: '60m' });
    writeFileSync(join(box.root, 'config.json'), '{"timeout":"soon"}');
    expect(() => readBoxConfig(box.root)).toThrow(/config\.json: timeout: must be a positive duration/);
    writeFileSync(join(box.root, 'config.json'), '{"idle":"2m"}');
    expect(() => readBoxConfig(box.root)).toThrow(/config\.json: idle: /);
  });
});
