import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAppError } from '@paddock/contracts';
import type { ChannelTransport } from '@paddock/fleet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalRuntime, type LocalRuntime } from '@paddock/testkit';
import { waitFor } from '@paddock/testkit/vitest';
import { BoxGateway } from './box-gateway';
import { localGatewayConnector } from './gateway-connectors';
import type { BoxTerminal, BoxTerminalEnd } from './box-terminal';

// Terminal streams through the gateway against a real daemon running real PTYs and a real `chainctl serve --stdio`
// per stream (a local process, as SSH starts one on a box).
let runtime: LocalRuntime;
let gateway: BoxGateway;
const transports: ChannelTransport[] = [];

beforeAll(async () => {
  runtime = createLocalRuntime('terminal-');
  await runtime.startDaemon();
  gateway = new BoxGateway({
    connector: localGatewayConnector(() => async () => {
      const transport = await runtime.serve();
      transports.push(transport);
      return transport;
    }),
  });
}, 60_000);
afterAll(async () => {
  await gateway?.close();
  await runtime?.cleanup();
});

/** A step that prints coloured lines, each after the test creates the file it waits for. */
function waitingChain(name: string, flags: string): string {
  const wait = (file: string) => `while [ ! -e ${join(flags, file)} ]; do sleep 0.02; done`;
  const script = [
    `printf '\\033[31mred-one\\033[0m\\n'`,
    wait('go-1'),
    `printf '\\033[32mgreen-two\\033[0m\\n'`,
    wait('go-2'),
    `printf '\\033[1;34mbold-blue-three\\033[0m\\n'`,
  ].join('; ');
  return `name: ${name}\nagents:\n  paint:\n    run: ${JSON.stringify(script)}\n`;
}

/** The first attempt's own terminal log, the file a terminal stream reads. */
function logOf(runId: string, step: string): string {
  return join(runtime.root, 'runs', runId, 'steps', step, 'attempts', '1', 'pty.log');
}

function collect() {
  const chunks: { offset: number; data: Buffer }[] = [];
  let end: BoxTerminalEnd | undefined;
  return {
    chunks,
    bytes: () => Buffer.concat(chunks.map((c) => c.data)),
    get end() {
      return end;
    },
    handlers: {
      onChunk: (offset: number, data: Buffer) => chunks.push({ offset, data: Buffer.from(data) }),
      onEnd: (e: BoxTerminalEnd) => {
        end = e;
      },
    },
  };
}

async function startRun(runId: string, text: string): Promise<void> {
  await gateway.request('box', { op: 'run', text, run_id: runId });
}

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isAppError(error)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

describe('terminal streams', () => {
  it('replays what was written, follows later bytes live, byte-exact, and ends with the attempt', async () => {
    const flags = join(runtime.dir, 'flags-live');
    runtime.file('flags-live/.keep', '');
    await startRun('live-1', waitingChain('live', flags));
    const log = logOf('live-1', 'paint');
    await waitFor('the first line in the log', () => existsSync(log) && readFileSync(log).includes('red-one'));
    const seen = collect();
    const terminal = await gateway.openTerminal(
      'box',
      { runtimeRunId: 'live-1', step: 'paint', maxBytes: 1 << 20 },
      seen.handlers,
    );
    expect(terminal.opened).toMatchObject({ attempt: 1, start: 0 });
    terminal.begin();
    await waitFor('the replay', () => seen.bytes().includes('red-one'));
    expect(seen.bytes().includes('green-two')).toBe(false);
    writeFileSync(join(flags, 'go-1'), '');
    await waitFor('the second line, live', () => seen.bytes().includes('green-two'));
    expect(seen.end).toBeUndefined();
    writeFileSync(join(flags, 'go-2'), '');
    await waitFor('the end of the stream', () => seen.end, 60_000);
    expect(seen.end).toMatchObject({ reason: 'ended', status: 'complete' });
    const whole = readFileSync(log);
    expect(seen.bytes().equals(whole)).toBe(true);
    expect(seen.bytes().toString('latin1')).toContain('\x1b[1;34mbold-blue-three\x1b[0m');
    expect(seen.end?.offset).toBe(whole.length);
    // Offsets are contiguous from the start.
    let at = 0;
    for (const chunk of seen.chunks) {
      expect(chunk.offset).toBe(at);
      at += chunk.data.length;
    }
    await terminal.close();
  }, 120_000);

  it('replays only the tail of a long log and says where it starts', async () => {
    await startRun('long-1', 'name: long\nagents:\n  spill:\n    run: "yes 0123456789abcdef | head -c 300000"\n');
    await waitFor(
      'the run to finish',
      async () => {
        const status = await gateway.request('box', { op: 'status', run_id: 'long-1' });
        return status.finished;
      },
      60_000,
    );
    const whole = readFileSync(logOf('long-1', 'spill'));
    expect(whole.length).toBeGreaterThan(300_000);
    const seen = collect();
    const terminal = await gateway.openTerminal(
      'box',
      { runtimeRunId: 'long-1', step: 'spill', tailBytes: 100_000, maxBytes: 1 << 20 },
      seen.handlers,
    );
    expect(terminal.opened).toEqual({ stream: 't1', attempt: 1, size: whole.length, start: whole.length - 100_000 });
    terminal.begin();
    await waitFor('the end', () => seen.end, 60_000);
    expect(seen.end?.reason).toBe('ended');
    expect(seen.bytes().equals(whole.subarray(whole.length - 100_000))).toBe(true);

    // A stream is cut at its byte allowance, whatever the log holds.
    const capped = collect();
    const small = await gateway.openTerminal(
      'box',
      { runtimeRunId: 'long-1', step: 'spill', tailBytes: 200_000, maxBytes: 70_000 },
      capped.handlers,
    );
    small.begin();
    await waitFor('the cut', () => capped.end, 60_000);
    expect(capped.end?.reason).toBe('limit');
    expect(capped.bytes().length).toBe(70_000);
  }, 120_000);

  it("streams an earlier attempt's terminal with `attempt`, the current one by default", async () => {
    const flag = join(runtime.dir, 'retry-flag');
    const script = `if [ -e ${flag} ]; then echo second-try; else touch ${flag}; echo first-try; exit 3; fi`;
    await startRun(
      'retry-1',
      `name: retry\nagents:\n  flaky:\n    run: ${JSON.stringify(script)}\n    retries: 1\n    backoff: 1s\n`,
    );
    await waitFor(
      'the run to finish',
      async () => (await gateway.request('box', { op: 'status', run_id: 'retry-1' })).finished,
      60_000,
    );
    const read = async (attempt?: number) => {
      const seen = collect();
      const terminal = await gateway.openTerminal(
        'box',
        { runtimeRunId: 'retry-1', step: 'flaky', maxBytes: 1 << 20, ...(attempt ? { attempt } : {}) },
        seen.handlers,
      );
      terminal.begin();
      await waitFor('the end', () => seen.end, 60_000);
      return { opened: terminal.opened, text: seen.bytes().toString(), end: seen.end };
    };
    const first = await read(1);
    expect(first).toMatchObject({ opened: { attempt: 1 }, end: { reason: 'ended' } });
    expect(first.text).toContain('first-try');
    expect(first.text).not.toContain('second-try');
    const current = await read();
    expect(current.opened.attempt).toBe(2);
    expect(current.text).toContain('second-try');
    expect(current.text).not.toContain('first-try');
    const missing = await refusal(
      gateway.openTerminal(
        'box',
        { runtimeRunId: 'retry-1', step: 'flaky', maxBytes: 10, attempt: 3 },
        collect().handlers,
      ),
    );
    expect(missing.code).toBe('not_found');
  }, 120_000);

  it('refuses unknown steps, and logs that are links or lie outside the run', async () => {
    await startRun('links-1', 'name: links\nagents:\n  a:\n    run: echo a-out\n  b:\n    run: echo b-out\n');
    await waitFor(
      'the run to finish',
      async () => (await gateway.request('box', { op: 'status', run_id: 'links-1' })).finished,
      60_000,
    );
    const open = (step: string) =>
      gateway.openTerminal('box', { runtimeRunId: 'links-1', step, maxBytes: 1000 }, collect().handlers);
    // (An unknown attempt: the retry test above.)
    expect((await refusal(open('zz'))).code).toBe('not_found');
    expect((await refusal(open('../a'))).code).toBe('not_found');

    const secret = runtime.file('outside/secret.txt', 'outside-the-run');
    rmSync(logOf('links-1', 'a'));
    symlinkSync(secret, logOf('links-1', 'a'));
    expect((await refusal(open('a'))).code).toBe('forbidden');
    // A step directory linked elsewhere, with a pty.log there.
    runtime.file('outside/b/attempts/1/pty.log', 'outside-the-run');
    const bDir = join(runtime.root, 'runs', 'links-1', 'steps', 'b');
    rmSync(bDir, { recursive: true });
    symlinkSync(join(runtime.dir, 'outside/b'), bDir);
    expect((await refusal(open('b'))).code).toBe('forbidden');
  }, 120_000);

  it('ends the box-side follow when the stream is closed', async () => {
    const flags = join(runtime.dir, 'flags-stop');
    runtime.file('flags-stop/.keep', '');
    await startRun('stop-1', waitingChain('stop', flags));
    await waitFor(
      'the first line',
      () => existsSync(logOf('stop-1', 'paint')) && readFileSync(logOf('stop-1', 'paint')).includes('red-one'),
    );
    const before = transports.length;
    const seen = collect();
    const terminal: BoxTerminal = await gateway.openTerminal(
      'box',
      { runtimeRunId: 'stop-1', step: 'paint', maxBytes: 1 << 20 },
      seen.handlers,
    );
    terminal.begin();
    await waitFor('the replay', () => seen.bytes().includes('red-one'));
    const transport = transports[before];
    if (!transport) throw new Error('no transport opened');
    await terminal.close();
    // The serve process exits (stdin closed, follow stopped), while the step still runs.
    await transport.closed;
    expect((await gateway.request('box', { op: 'status', run_id: 'stop-1' })).steps[0]?.status).toBe('running');
    writeFileSync(join(flags, 'go-1'), '');
    writeFileSync(join(flags, 'go-2'), '');
  });
});
