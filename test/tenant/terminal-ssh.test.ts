import { createHash } from 'node:crypto';
import { DEFAULT_BOX_LAYOUT, sh } from '@paddock/fleet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SseEvent, SseReader } from '../support/sse-reader';
import { type SignedUp, signUp } from './support';
import { type SshRunsWorld, startSshRunsWorld } from './runs-support';
import { waitFor } from '../support/wait-for';

// A step's live terminal through the API, on a deployed test box over real SSH: the stream replays what the step
// already wrote, then follows it live, byte for byte, and ends with the attempt; it is bounded and tenant-scoped,
// and a client that leaves takes the box-side follow process with it.
const RUNTIME_USER = DEFAULT_BOX_LAYOUT.runtimeUser;
const FLAGS = '/tmp/terminal-flags';
const TAIL_BYTES = 256 * 1024;

let world: SshRunsWorld;
let address: string;

beforeAll(async () => {
  world = await startSshRunsWorld('terminal', { terminals: { streamsPerTenant: 1, tailBytes: TAIL_BYTES } });
  address = await world.t.app.listen({ host: '127.0.0.1', port: 0 });
  const made = await world.rootExec(sh`mkdir -p ${FLAGS} && chmod 755 ${FLAGS}`);
  expect(made.exitCode).toBe(0);
  const chains = {
    paint: `name: paint\nagents:\n  paint:\n    run: ${JSON.stringify(paintScript('paint'))}\n`,
    hold: `name: hold\nagents:\n  paint:\n    run: ${JSON.stringify(paintScript('hold'))}\n`,
    spill: 'name: spill\nagents:\n  spill:\n    run: "yes 0123456789abcdef-terminal-line | head -c 3000000"\n',
  };
  for (const definition of Object.values(chains)) {
    const reply = await world.t.app.inject({
      method: 'POST',
      url: '/v1/chains',
      headers: world.tenant.headers,
      payload: { definition },
    });
    expect(reply.statusCode, reply.body).toBe(201);
  }
}, 240_000);

afterAll(async () => {
  await world?.close();
});

/** Coloured lines, each printed once the test creates the file it waits for. */
function paintScript(tag: string): string {
  const wait = (n: number) => `while [ ! -e ${FLAGS}/${tag}-go-${n} ]; do sleep 0.02; done`;
  return [
    `printf '\\033[31mred-one\\033[0m\\n'`,
    wait(1),
    `printf '\\033[32mgreen-two\\033[0m\\n'`,
    wait(2),
    `printf '\\033[1;34mbold-blue-three\\033[0m\\n'`,
  ].join('; ');
}

async function flag(name: string): Promise<void> {
  expect((await world.rootExec(sh`touch ${FLAGS}/${name}`)).exitCode).toBe(0);
}

/** Starts a run of `chain` and waits until the API knows its step and the box's log holds `until`. */
async function startRun(chain: string, step: string, until: string): Promise<string> {
  const { t, tenant } = world;
  const started = await t.app.inject({ method: 'POST', url: '/v1/runs', headers: tenant.headers, payload: { chain } });
  expect(started.statusCode, started.body).toBe(201);
  const runId = started.json().id as string;
  await world.sync.until(`step ${step} of ${chain} to be known`, world.boxId, tenant.tenantId, async () => {
    const detail = (await t.app.inject({ method: 'GET', url: `/v1/runs/${runId}`, headers: tenant.headers })).json();
    return (detail.steps as { name: string }[]).some((s) => s.name === step);
  });
  const log = ptyLog(runId, step);
  await world.sync.until(`${until} in the log`, world.boxId, tenant.tenantId, async () => {
    const found = await world.rootExec(sh`grep -q -- ${until} ${log}`);
    return found.exitCode === 0;
  });
  return runId;
}

/** The first attempt's own terminal log (the step's usual `pty.log` is a second name of the current attempt's). */
function ptyLog(runId: string, step: string): string {
  return `${DEFAULT_BOX_LAYOUT.dataDir}/runs/${runId}/steps/${step}/attempts/1/pty.log`;
}

async function boxFile(path: string): Promise<Buffer> {
  const read = await world.rootExec(sh`base64 -w0 -- ${path}`);
  expect(read.exitCode).toBe(0);
  return Buffer.from(read.stdout.trim(), 'base64');
}

function terminal(runId: string, step: string, tenant: SignedUp = world.tenant, signal?: AbortSignal) {
  return fetch(`${address}/v1/runs/${runId}/steps/${step}/terminal`, {
    headers: tenant.headers,
    ...(signal ? { signal } : {}),
  });
}

/** Waits until the terminal's bytes hold `text`; a stream that ends first fails with what it said. */
async function shows(sse: SseReader, text: string): Promise<void> {
  await sse
    .next(`"${text}" on the terminal`, () => bytesOf(sse.received).includes(text))
    .catch((error: Error) => {
      const end = sse.received.find((e) => e.event === 'end');
      throw new Error(`${error.message}${end ? `; its end said ${end.data}` : ''}`);
    });
}

async function errorCode(response: Response): Promise<string> {
  return ((await response.json()) as { error: { code: string } }).error.code;
}

/** The terminal's bytes so far, from its `output` events. */
function bytesOf(events: readonly SseEvent[]): Buffer {
  return Buffer.concat(
    events.filter((e) => e.event === 'output').map((e) => Buffer.from(JSON.parse(e.data).data as string, 'base64')),
  );
}

const LIST_SERVE_PIDS =
  'for p in /proc/[0-9]*; do if [ -O "$p" ] && [ "$p" != "/proc/$$" ] && tr "\\0" " " < $p/cmdline 2>/dev/null | grep -q "serve --stdio"; then echo "$p" | cut -d/ -f3; fi; done';

/** Pids of the runtime user's own `chainctl serve --stdio` processes (not root's runuser above each), as that user. */
async function servePids(): Promise<string[]> {
  const listed = await world.rootExec(sh`runuser -u ${RUNTIME_USER} -- sh -c ${LIST_SERVE_PIDS}`);
  expect(listed.exitCode, listed.stderr).toBe(0);
  return listed.stdout.split('\n').filter((line) => /^\d+$/.test(line));
}

describe('GET /v1/runs/:id/steps/:step/terminal on a real box', () => {
  it('replays what was written, then delivers later bytes live, byte-exact, and ends when the step finishes', async () => {
    const runId = await startRun('paint', 'paint', 'red-one');
    const response = await terminal(runId, 'paint');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const sse = new SseReader(response);
    const start = JSON.parse((await sse.next('start', (e) => e.event === 'start')).data);
    expect(start).toMatchObject({ runId, step: 'paint', attempt: 1, offset: 0, skippedBytes: 0 });
    await shows(sse, 'red-one');
    expect(bytesOf(sse.received).includes('green-two')).toBe(false);

    await flag('paint-go-1');
    await shows(sse, 'green-two');
    expect(sse.received.some((e) => e.event === 'end')).toBe(false);
    await flag('paint-go-2');
    const end = JSON.parse((await sse.next('the end', (e) => e.event === 'end')).data);
    await sse.finished();
    const whole = await boxFile(ptyLog(runId, 'paint'));
    expect(end).toMatchObject({ reason: 'ended', status: 'complete', offset: whole.length });
    const streamed = bytesOf(sse.received);
    expect(streamed.equals(whole)).toBe(true);
    expect(streamed.toString('latin1')).toContain('\x1b[31mred-one\x1b[0m');
    expect(streamed.toString('latin1')).toContain('\x1b[1;34mbold-blue-three\x1b[0m');
  });

  it('answers 404 for a run or step of another workspace, an unknown step and an unknown run', async () => {
    const runId = await startRun('paint', 'paint', 'red-one');
    const stranger = await signUp(world.t.app, 'terminal-stranger');
    const foreign = await terminal(runId, 'paint', stranger);
    expect(foreign.status).toBe(404);
    expect(await errorCode(foreign)).toBe('not_found');
    const unknownStep = await terminal(runId, 'nosuchstep');
    expect(unknownStep.status).toBe(404);
    const unknownRun = await terminal('7b0c1a52-4a55-4c1e-9a66-3b1f0c2d9e10', 'paint');
    expect(unknownRun.status).toBe(404);
    const badStep = await terminal(runId, '..%2Fetc');
    expect(badStep.status).toBe(400);
    await flag('paint-go-1');
    await flag('paint-go-2');
  });

  it('replays a long log only from its tail, with a first event saying what was skipped', async () => {
    const runId = await startRun('spill', 'spill', 'terminal-line');
    await world.sync.until('the spill run to finish', world.boxId, world.tenant.tenantId, async () => {
      const detail = (
        await world.t.app.inject({ method: 'GET', url: `/v1/runs/${runId}`, headers: world.tenant.headers })
      ).json();
      return detail.status === 'succeeded';
    });
    const whole = await boxFile(ptyLog(runId, 'spill'));
    expect(whole.length).toBeGreaterThan(3_000_000);
    const sse = new SseReader(await terminal(runId, 'spill'));
    const start = JSON.parse((await sse.next('start', (e) => e.event === 'start')).data);
    expect(start).toEqual({
      runId,
      step: 'spill',
      attempt: 1,
      size: whole.length,
      offset: whole.length - TAIL_BYTES,
      skippedBytes: whole.length - TAIL_BYTES,
    });
    const end = JSON.parse((await sse.next('the end', (e) => e.event === 'end')).data);
    expect(end).toMatchObject({ reason: 'ended', offset: whole.length });
    const streamed = bytesOf(sse.received);
    const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(streamed.length).toBe(TAIL_BYTES);
    expect(digest(streamed)).toBe(digest(whole.subarray(whole.length - TAIL_BYTES)));
  });

  it('limits open streams per workspace, and a client that leaves takes the box-side follow with it', async () => {
    const runId = await startRun('hold', 'paint', 'red-one');
    const before = await servePids();
    const leaving = new AbortController();
    const sse = new SseReader(await terminal(runId, 'paint', world.tenant, leaving.signal));
    await shows(sse, 'red-one');
    // The stream's own serve process on the box, holding the step's log open.
    const follower = await waitFor('the follow process', async () => {
      const added = (await servePids()).filter((pid) => !before.includes(pid));
      return added.length === 1 ? added[0] : undefined;
    });
    const fds = await world.rootExec(sh`ls -l /proc/${follower}/fd`);
    expect(fds.stdout).toContain(ptyLog(runId, 'paint'));

    const second = await terminal(runId, 'paint');
    expect(second.status).toBe(429);
    expect(await errorCode(second)).toBe('too_many_streams');

    leaving.abort();
    await sse.finished();
    await waitFor('the follow process to exit', async () => !(await servePids()).includes(follower));
    // The step itself runs on, and the workspace's slot is free again.
    const detail = (
      await world.t.app.inject({ method: 'GET', url: `/v1/runs/${runId}`, headers: world.tenant.headers })
    ).json();
    expect(detail.status).toBe('running');
    const again = await waitFor('a slot to be free', async () => {
      const reply = await terminal(runId, 'paint');
      if (reply.status === 429) {
        await reply.body?.cancel();
        return undefined;
      }
      return reply;
    });
    expect(again.status).toBe(200);
    const resumed = new SseReader(again);
    await flag('hold-go-1');
    await flag('hold-go-2');
    const end = JSON.parse((await resumed.next('the end', (e) => e.event === 'end')).data);
    expect(end.reason).toBe('ended');
    expect(bytesOf(resumed.received).equals(await boxFile(ptyLog(runId, 'paint')))).toBe(true);
  });
});
