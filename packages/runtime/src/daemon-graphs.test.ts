import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Daemon } from './daemon';
import { finished, kinds, startTestDaemon } from './daemon-test-support';
import { readRunEvents } from './event-store';
import { rootLayout, runLayout, stepLayout } from './paths';
import { type TempBox, tempBox } from './test-support';

let box: TempBox;
let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.stop(0);
  daemon = undefined;
  box?.cleanup();
});

async function start(chain: string, id: string, ...inputs: string[]) {
  const file = box.file(`${id}.yaml`, chain);
  const res = await box.cli('run', file, '--id', id, ...inputs.flatMap((i) => ['--input', i]), '--json');
  expect(res.err + res.out).not.toContain('error');
  expect(res.code).toBe(0);
  return finished(box, id);
}

describe('daemon: graphs in real PTYs', () => {
  it.each([
    ['fork-server', 'fsync'],
    ['node', 'fsync'],
    ['fork-server', 'syncfs'],
  ] as const)(
    'runs a linear chain (%s spawner, %s barrier): real terminal, output handoff, usage, clean environment',
    async (spawner, barrier) => {
      box = tempBox();
      daemon = await startTestDaemon(box, 16, spawner, barrier);
      writeFileSync(rootLayout(box.root).secretsFile, 'API_TOKEN=s3cret\n# comment\n');
      const run = await start(
        `name: linear
agents:
  first:
    stdin: terminal
    run: |
      test -t 0 && test -t 1 && test -t 2 && echo "tty yes"
      stty size
      echo "run=$CHAIN_RUN_ID step=$CHAIN_STEP token=$API_TOKEN home=$HOME leak=\${LEAK:-none}"
      echo '{"model":"m-1","input_tokens":100,"output_tokens":20,"cost_usd":0.5}' > "$CHAIN_USAGE_FILE"
  second:
    needs: [first]
    input: first
    run: tr a-z A-Z
  third:
    needs: [second]
    input: [second, { run_input: topic }]
    run: |
      printf 'got: '; cat; echo; echo '::usage {"input_tokens":1,"output_tokens":2}'
`,
        'lin',
        'topic=the topic',
      );
      expect(run.state.status).toBe('succeeded');
      const r = runLayout(box.root, 'lin');
      const first = readFileSync(stepLayout(r, 'first').output, 'utf8');
      expect(first).toBe(`tty yes\n40 120\nrun=lin step=first token=s3cret home=${box.dir} leak=none\n`);
      expect(readFileSync(stepLayout(r, 'first').ptyLog, 'utf8')).toContain('tty yes\r\n');
      expect(readFileSync(stepLayout(r, 'second').output, 'utf8')).toBe(first.toUpperCase());
      expect(readFileSync(stepLayout(r, 'third').output, 'utf8')).toBe(`got: ${first.toUpperCase()}the topic\n`);
      expect(kinds(box, 'lin')).toEqual([
        '_run.created',
        'first.started',
        'first.complete',
        'second.started',
        'second.complete',
        'third.started',
        'third.complete',
        '_run.finished',
      ]);
      const events = readRunEvents(box.root, 'lin').events;
      const firstDone = events.find((e) => e.step === 'first' && e.kind === 'complete');
      expect(firstDone).toMatchObject({
        model: 'm-1',
        input_tokens: 100,
        output_tokens: 20,
        tokens_used: 120,
        cost_usd: 0.5,
        exit_code: 0,
      });
      expect(firstDone?.duration_seconds).toBeGreaterThan(0);
      expect(events.find((e) => e.step === 'third' && e.kind === 'complete')).toMatchObject({
        input_tokens: 1,
        output_tokens: 2,
      });
      expect(run.state.usage).toEqual({ input_tokens: 101, output_tokens: 22, tokens_used: 123, cost_usd: 0.5 });
      expect(events.find((e) => e.step === 'second' && e.kind === 'started')?.data?.handoff_ms).toBeTypeOf('number');
    },
  );

  it('runs a diamond: both branches at once, the join after both', async () => {
    box = tempBox();
    daemon = await startTestDaemon(box);
    const run = await start(
      `name: diamond
agents:
  top: { run: echo top }
  left: { needs: [top], run: 'sleep 0.3; echo left' }
  right: { needs: [top], run: 'sleep 0.3; echo right' }
  join: { needs: [left, right], input: [left, right], run: cat }
`,
      'dia',
    );
    expect(run.state.status).toBe('succeeded');
    const order = kinds(box, 'dia');
    // Both branches started before either completed: they ran in parallel.
    const lastStart = Math.max(order.indexOf('left.started'), order.indexOf('right.started'));
    const firstDone = Math.min(order.indexOf('left.complete'), order.indexOf('right.complete'));
    expect(lastStart).toBeLessThan(firstDone);
    expect(order.indexOf('join.started')).toBeGreaterThan(
      Math.max(order.indexOf('left.complete'), order.indexOf('right.complete')),
    );
    expect(readFileSync(stepLayout(runLayout(box.root, 'dia'), 'join').output, 'utf8')).toBe('left\nright\n');
  });

  it('fans out to many steps in parallel and respects the box-wide limit', async () => {
    box = tempBox();
    daemon = await startTestDaemon(box, 3);
    const leaves = Array.from(
      { length: 6 },
      (_, i) => `  leaf${i}: { needs: [root], run: 'sleep 0.2; echo ${i}' }`,
    ).join('\n');
    const run = await start(`name: fan\nagents:\n  root: { run: echo go }\n${leaves}\n`, 'fan');
    expect(run.state.status).toBe('succeeded');
    let runningNow = 0;
    let peak = 0;
    for (const k of kinds(box, 'fan')) {
      if (k.endsWith('.started')) peak = Math.max(peak, ++runningNow);
      if (k.endsWith('.complete')) runningNow--;
    }
    expect(peak).toBe(3);
  });
});
