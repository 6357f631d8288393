import type { RunEvent } from '@paddock/contracts';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BoxChannel, BoxChannelError, type ChannelTransport, localProcessTransport } from '@paddock/fleet';
import { createLocalRuntime, type LocalRuntime } from './support/local-runtime';
import { waitFor } from '../support/wait-for';

let runtime: LocalRuntime | undefined;
let channel: BoxChannel | undefined;
afterEach(async () => {
  await channel?.close();
  channel = undefined;
  await runtime?.cleanup();
  runtime = undefined;
});

const HELLO = JSON.stringify({ v: 1, type: 'hello', protocol: 1, version: 'fake', root: '/nowhere' });

/** A real process that says hello and then reads requests without ever answering. */
function silentServer(hello = HELLO) {
  return localProcessTransport(['sh', '-c', `printf '%s\\n' '${hello}'; exec cat >/dev/null`]);
}

describe('BoxChannel over a real chainctl serve process', () => {
  it('answers requests with validated, typed results and keeps concurrent answers apart', async () => {
    runtime = createLocalRuntime();
    channel = new BoxChannel({ boxId: 'b1', open: runtime.serve });
    const [health, list, events] = await Promise.all([
      channel.request({ op: 'health' }),
      channel.request({ op: 'list' }),
      channel.request({ op: 'events' }),
    ]);
    expect(health.root).toBe(runtime.root);
    expect(health.daemon.running).toBe(false);
    expect(list.runs).toEqual([]);
    expect(events.events).toEqual([]);
    expect(channel.hello?.root).toBe(runtime.root);

    const missing = await channel.request({ op: 'status', run_id: 'nope' }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(BoxChannelError);
    expect(missing).toMatchObject({ failure: 'remote_error', remoteCode: 'not_found', code: 'not_found' });
    expect((missing as BoxChannelError).retryable).toBe(false);
  });

  it('streams a run from a cursor and, after the serve process dies, resumes from the committed cursor', async () => {
    runtime = createLocalRuntime();
    await runtime.startDaemon();
    runtime.file(
      'chain.yaml',
      'name: slow\nagents:\n  a: { run: sleep 0.3; echo a }\n  b: { needs: [a], run: sleep 0.3; echo b }\n  c: { needs: [b], run: echo c }\n',
    );
    const transports: ChannelTransport[] = [];
    const open = runtime.serve;
    channel = new BoxChannel({
      boxId: 'b1',
      open: async () => {
        const t = await open();
        transports.push(t);
        return t;
      },
      reopenDelayMs: { initial: 50, max: 200 },
    });
    // The consumer commits every second event, as a batching ingester would; what it did not commit comes again.
    const received: RunEvent[] = [];
    let committed: { cursor: string | undefined; count: number } = { cursor: undefined, count: 0 };
    let restarts = 0;
    await channel.subscribe({
      resumeFrom: () => committed.cursor,
      onRestart: () => {
        restarts++;
        received.length = committed.count;
      },
      onEvent: (event, cursor) => {
        received.push(event);
        if (received.length % 2 === 0) committed = { cursor, count: received.length };
      },
    });
    await channel.request({ op: 'run', file: 'chain.yaml', run_id: 'r1' });
    await waitFor('three events', () => received.length >= 3);
    transports[0]?.close(); // the channel did not ask for this: a drop
    await waitFor('the run to finish', () => received.some((e) => e.kind === 'finished'), 60_000);

    const { stdout } = await runtime.chainctl('events', '--run', 'r1', '--json');
    const onBox = stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as RunEvent).seq);
    expect(restarts).toBe(1);
    expect(transports.length).toBe(2);
    expect(received.map((e) => e.seq)).toEqual(onBox);
    expect(new Set(received.map((e) => e.seq)).size).toBe(received.length);
  }, 150_000);

  it('fails a request that gets no answer within its timeout, and an open without hello', async () => {
    channel = new BoxChannel({ boxId: 'b2', open: silentServer(), requestTimeoutMs: 200 });
    const started = Date.now();
    const error = await channel.request({ op: 'health' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ failure: 'timeout', code: 'upstream_unavailable' });
    expect(Date.now() - started).toBeLessThan(5_000);
    await channel.close();

    channel = new BoxChannel({
      boxId: 'b3',
      open: localProcessTransport(['sh', '-c', 'echo starting; exec sleep 30']),
      openTimeoutMs: 300,
    });
    expect(await channel.connect().catch((e: unknown) => e)).toMatchObject({ failure: 'timeout' });
  });

  it('refuses a runtime that speaks another protocol version, and reports a server that dies at once', async () => {
    const future = JSON.stringify({ v: 2, type: 'hello', protocol: 2, version: 'x', root: '/' });
    channel = new BoxChannel({ boxId: 'b4', open: silentServer(future) });
    const refused = await channel.connect().catch((e: unknown) => e);
    expect(refused).toMatchObject({ failure: 'unsupported_version' });
    expect((refused as BoxChannelError).retryable).toBe(false);
    await channel.close();

    channel = new BoxChannel({
      boxId: 'b5',
      open: localProcessTransport(['sh', '-c', 'echo "chainctl: not installed" >&2; exit 127']),
    });
    const died = await channel.connect().catch((e: unknown) => e);
    expect(died).toMatchObject({ failure: 'channel_closed' });
    expect((died as Error).message).toContain('chainctl: not installed');
  });

  // The subscribe answer and the event after it reach the channel in one read or in two, as the machine's load has
  // it; both orders are forced here. In one read, the broken event drops the channel before the subscribe call has
  // bound its answer: that order once left the subscription bound to the dead channel, never to be restarted.
  it.each([
    { order: 'in separate writes', together: false },
    { order: 'in one write with the subscribe answer', together: true },
  ])(
    'restarts the stream from the committed cursor when the runtime sends an event it cannot validate ($order)',
    async ({ together }) => {
      // A real process speaking the protocol: the first subscription gets a broken event, later ones a good one.
      runtime = createLocalRuntime();
      const marker = join(runtime.dir, 'sent-broken');
      const script = `
      const rl = require('node:readline').createInterface({ input: process.stdin });
      const out = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
      out({ v: 1, type: 'hello', protocol: 1, version: 'fake', root: '/' });
      const fs = require('node:fs');
      rl.on('line', (line) => {
        const req = JSON.parse(line);
        if (req.op !== 'subscribe') return out({ v: 1, type: 'response', id: req.id, ok: true, result: { ok: true } });
        const answer = { v: 1, type: 'response', id: req.id, ok: true, result: { subscription: 's1' } };
        const event = { run_id: 'r', seq: 1, step: 'a', kind: 'started', status: 'running', timestamp: new Date().toISOString() };
        const first = !fs.existsSync(${JSON.stringify(marker)});
        fs.writeFileSync(${JSON.stringify(marker)}, 'x');
        const sent = { v: 1, type: 'event', subscription: 's1', cursor: 'j1:10', event: first ? { ...event, seq: 'one' } : event };
        if (${together}) return process.stdout.write(JSON.stringify(answer) + '\\n' + JSON.stringify(sent) + '\\n');
        out(answer);
        out(sent);
      });`;
      channel = new BoxChannel({
        boxId: 'b6',
        open: localProcessTransport([process.execPath, '-e', script]),
        reopenDelayMs: { initial: 20, max: 50 },
      });
      const seen: { seq: number; cursor: string }[] = [];
      let restarts = 0;
      await channel.subscribe({
        resumeFrom: () => 'j1:0',
        onRestart: () => restarts++,
        onEvent: (event, cursor) => seen.push({ seq: event.seq, cursor }),
      });
      // Generous: a node process start takes seconds on a loaded 2-core machine.
      await waitFor('the good event after the restart', () => seen.length === 1, 40_000);
      expect(restarts).toBe(1);
      expect(seen).toEqual([{ seq: 1, cursor: 'j1:10' }]);
    },
  );
});
