import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ProtocolServerMessageSchema } from '@paddock/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import type { Daemon } from './daemon';
import { startTestDaemon } from './daemon-test-support';
import { runLayout } from './paths';
import { CHAINCTL_ARGV, type TempBox, tempBox } from './test-support';

let box: TempBox;
let daemon: Daemon | undefined;
let server: ChildProcessWithoutNullStreams | undefined;
afterEach(async () => {
  server?.kill();
  server = undefined;
  await daemon?.stop(0);
  daemon = undefined;
  box?.cleanup();
});

/** A real `chainctl serve --stdio` process, spoken to line by line like the control plane does over SSH. */
function startServer(root: string, cwd: string) {
  const [exe, ...args] = CHAINCTL_ARGV;
  const child = spawn(exe as string, [...args, 'serve', '--stdio', '--root', root], {
    cwd,
    env: { PATH: process.env.PATH },
  });
  server = child;
  const messages: Record<string, unknown>[] = [];
  /** Every message in arrival order (`messages` loses the ones `next` took). */
  const log: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const parsed = ProtocolServerMessageSchema.parse(JSON.parse(line));
    messages.push(parsed as Record<string, unknown>);
    log.push(parsed as Record<string, unknown>);
    for (const w of waiters.splice(0)) w();
  });
  const next = async (match: (m: Record<string, unknown>) => boolean, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = messages.findIndex(match);
      if (index >= 0) return messages.splice(index, 1)[0] as Record<string, unknown>;
      if (Date.now() > deadline) throw new Error(`no matching message; have ${JSON.stringify(messages)}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 100);
      });
    }
  };
  const request = async (body: Record<string, unknown>) => {
    child.stdin.write(`${JSON.stringify({ v: 1, ...body })}\n`);
    return next((m) => m.type === 'response' && m.id === body.id);
  };
  return { child, next, request, log, raw: (line: string) => child.stdin.write(`${line}\n`) };
}

describe('chainctl serve --stdio', () => {
  it('answers every operation over one channel and pushes events from a cursor', async () => {
    box = tempBox();
    daemon = await startTestDaemon(box);
    box.file('c/chain.yaml', 'name: s\nagents:\n  a: { run: echo hi }\n  b: { needs: [a], input: a, run: cat }\n');
    const s = startServer(box.root, box.dir);
    expect(await s.next((m) => m.type === 'hello')).toMatchObject({ protocol: 1, root: box.root });
    expect(await s.request({ id: 1, op: 'validate', text: 'name: x\nagents:\n  a: { runn: 1 }\n' })).toMatchObject({
      ok: true,
      result: {
        ok: false,
        errors: [
          { line: 3, field: 'agents.a.run' },
          { line: 3, field: 'agents.a.runn' },
        ],
      },
    });
    const sub = await s.request({ id: 'sub', op: 'subscribe', since: '0' });
    const subscription = (sub.result as { subscription: string }).subscription;
    const run = await s.request({ id: 2, op: 'run', file: 'c/chain.yaml', run_id: 'via-serve' });
    expect(run).toMatchObject({ ok: true, result: { run_id: 'via-serve', status: 'queued' } });
    const finished = await s.next((m) => m.type === 'event' && (m.event as { kind: string }).kind === 'finished');
    expect(finished).toMatchObject({ subscription, event: { run_id: 'via-serve', status: 'succeeded' } });
    const status = await s.request({ id: 3, op: 'status', run_id: 'via-serve' });
    expect(status).toMatchObject({ ok: true, result: { status: 'succeeded', steps: [{ step: 'a' }, { step: 'b' }] } });
    const page = await s.request({ id: 4, op: 'events', run_id: 'via-serve' });
    const events = (page.result as { events: { kind: string; cursor: string }[]; cursor: string }).events;
    expect(events.map((e) => e.kind)).toEqual(['created', 'started', 'complete', 'started', 'complete', 'finished']);
    const after = await s.request({ id: 5, op: 'events', since: events[2]?.cursor });
    expect((after.result as { events: unknown[] }).events).toHaveLength(3);
    expect(await s.request({ id: 6, op: 'health' })).toMatchObject({ ok: true, result: { root: box.root } });
    expect(await s.request({ id: 7, op: 'unsubscribe', subscription })).toMatchObject({ ok: true });
  });

  it('answers bad lines with errors and keeps the channel open', async () => {
    box = tempBox();
    const s = startServer(box.root, box.dir);
    await s.next((m) => m.type === 'hello');
    s.raw('this is not json');
    expect(await s.next((m) => m.type === 'response' && m.id === null)).toMatchObject({
      ok: false,
      error: { code: 'invalid_json' },
    });
    s.raw(JSON.stringify({ v: 2, id: 'future', op: 'health' }));
    expect(await s.next((m) => m.id === 'future')).toMatchObject({ ok: false, error: { code: 'unsupported_version' } });
    expect(await s.request({ id: 'x', op: 'explode' })).toMatchObject({
      ok: false,
      error: { code: 'validation_failed' },
    });
    expect(await s.request({ id: 'y', op: 'status', run_id: 'nope' })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect(await s.request({ id: 'z', op: 'status', run_id: '../../etc' })).toMatchObject({
      ok: false,
      error: { code: 'bad_request' },
    });
    expect(await s.request({ id: 'ok', op: 'list' })).toMatchObject({ ok: true, result: { runs: [] } });
  });

  it('creates a burst of runs concurrently, answers in request order, and a later request sees them all', async () => {
    box = tempBox();
    const s = startServer(box.root, box.dir);
    await s.next((m) => m.type === 'hello');
    const text = 'name: burst\nagents:\n  a: { run: echo hi }\n';
    const ids = Array.from({ length: 30 }, (_, i) => `burst-${i}`);
    const requests = [
      ...ids.map((runId, i) => ({ v: 1, id: i, op: 'run', text, run_id: runId })),
      // The same id again inside the burst: exactly one of the two is created.
      { v: 1, id: 'dup', op: 'run', text, run_id: 'burst-3' },
      { v: 1, id: 'list', op: 'list' },
      { v: 1, id: 'after', op: 'run', text, run_id: 'after-list' },
    ];
    s.raw(requests.map((r) => JSON.stringify(r)).join('\n'));
    const list = await s.next((m) => m.id === 'list');
    const listed = (list.result as { runs: { run_id: string; status: string }[] }).runs;
    expect(listed.map((r) => r.run_id).sort()).toEqual([...ids].sort());
    expect(listed.every((r) => r.status === 'queued')).toBe(true);
    expect(await s.next((m) => m.id === 'after')).toMatchObject({ ok: true, result: { run_id: 'after-list' } });
    const answers = s.log.filter((m) => m.type === 'response');
    expect(answers.map((m) => m.id)).toEqual(requests.map((r) => r.id));
    expect(answers.slice(0, ids.length).every((m) => m.ok === true)).toBe(true);
    expect(answers[ids.length]).toMatchObject({ id: 'dup', ok: false, error: { code: 'conflict' } });
    // The refused duplicate left no staging directory behind, and every run holds exactly its created event.
    expect(readdirSync(join(box.root, '.incoming'))).toEqual([]);
    for (const runId of ids)
      expect(readdirSync(runLayout(box.root, runId).eventsDir)).toEqual(['000001-_run.created.json']);
  });
});
