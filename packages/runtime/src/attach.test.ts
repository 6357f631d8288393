import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { Daemon } from './daemon';
import { finished, startTestDaemon, waitUntil } from './daemon-test-support';
import { readRunEvents } from './event-store';
import { CHAINCTL_ARGV, type TempBox, tempBox } from './test-support';
import { writeDaemonState } from './daemon-state';
import { rootLayout } from './paths';
import { writeFileSync } from 'node:fs';

let box: TempBox;
let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.stop(0);
  daemon = undefined;
  box?.cleanup();
});

/** The in-process test daemon does not write a pidfile; attach checks one, so pose as the running daemon. */
function markDaemonRunning(root: string) {
  writeFileSync(rootLayout(root).pidFile, `${process.pid}\n`);
  writeDaemonState(root, {
    pid: process.pid,
    version: 'test',
    started_at: new Date().toISOString(),
    heartbeat_at: new Date().toISOString(),
    active_runs: 0,
    running_steps: 0,
    queued_steps: 0,
    max_parallel: 16,
    draining: false,
  });
}

function attach(root: string, ...args: string[]) {
  const [exe, ...rest] = CHAINCTL_ARGV;
  const child = spawn(exe as string, [...rest, 'attach', ...args, '--root', root], {
    env: { PATH: process.env.PATH, USER: 'operator' },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exit = new Promise<number>((r) => child.on('close', (code) => r(code ?? -1)));
  return { child, exit, out: () => out, err: () => err };
}

describe('chainctl attach', () => {
  it('replays what the step printed, follows it live, and lets a person type into it (recorded)', async () => {
    box = tempBox();
    daemon = await startTestDaemon(box);
    markDaemonRunning(box.root);
    const chain =
      'name: ask\nagents:\n  ask:\n    stdin: terminal\n    run: |\n      echo "question: continue?"\n      read answer\n      echo "got $answer"\n';
    await box.cli('run', box.file('a.yaml', chain), '--id', 'ask');
    await waitUntil(box, 'ask', (r) => r.state.steps.get('ask')?.status === 'running');
    await new Promise((r) => setTimeout(r, 200));
    const session = attach(box.root, 'ask', 'ask', '--interactive');
    const deadline = Date.now() + 10_000;
    while (!session.out().includes('question: continue?') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(session.out()).toContain('question: continue?');
    session.child.stdin.write('yes please\r');
    expect(await session.exit).toBe(0);
    expect(session.out()).toContain('got yes please');
    const done = await finished(box, 'ask');
    expect(done.state.status).toBe('succeeded');
    const input = readRunEvents(box.root, 'ask').events.find((e) => e.kind === 'input');
    expect(input).toMatchObject({ step: 'ask', message: 'yes please\r', data: { by: 'operator', bytes: 11 } });
  });

  it('explains when the step is not running', async () => {
    box = tempBox();
    daemon = await startTestDaemon(box);
    markDaemonRunning(box.root);
    await box.cli('run', box.file('q.yaml', 'name: q\nagents:\n  q: { run: echo done }\n'), '--id', 'q');
    await finished(box, 'q');
    const session = attach(box.root, 'q', 'q');
    expect(await session.exit).toBe(1);
    expect(session.err()).toContain('step q of q is not running');
  });
});
