import { DEFAULT_BOX_LAYOUT, layoutPaths, sh } from '@paddock/fleet';
import { BoxGateway, loadBoxTargetWithPrisma, sshGatewayConnector } from '@paddock/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SshRunsWorld, startSshRunsWorld } from './runs-support';

// Step outputs over real SSH on a deployed test box. The control plane logs in as root, but the run directories
// belong to the runtime user, whom any agent runs as: what an agent puts in place of its output must never make the
// API serve a file only root may read.
const SECRET = 'root-only-secret-4f1c9a';
const RUNTIME_USER = DEFAULT_BOX_LAYOUT.runtimeUser;
const SERVICE = layoutPaths(DEFAULT_BOX_LAYOUT).service;

let world: SshRunsWorld;
let runId: string;
let stepsDir: string;

beforeAll(async () => {
  world = await startSshRunsWorld('step-output');
  const { t, tenant } = world;
  const chain = await t.app.inject({
    method: 'POST',
    url: '/v1/chains',
    headers: tenant.headers,
    payload: {
      definition:
        'name: out\nagents:\n  say:\n    run: echo hello-output\n  after:\n    needs: [say]\n    run: echo after\n',
    },
  });
  expect(chain.statusCode).toBe(201);
  const started = await t.app.inject({
    method: 'POST',
    url: '/v1/runs',
    headers: tenant.headers,
    payload: { chain: 'out' },
  });
  expect(started.statusCode).toBe(201);
  runId = started.json().id;
  await world.sync.until('the run to succeed', world.boxId, tenant.tenantId, async () => {
    const detail = (await t.app.inject({ method: 'GET', url: `/v1/runs/${runId}`, headers: tenant.headers })).json();
    return detail.status === 'succeeded';
  });
  stepsDir = `${DEFAULT_BOX_LAYOUT.dataDir}/runs/${runId}/steps`;
  // A file only root may read, as /etc/shadow or the host keys are.
  const made = await world.rootExec(
    sh`umask 077 && printf %s ${SECRET} > /etc/paddock-secret-test && chmod 600 /etc/paddock-secret-test`,
  );
  expect(made.exitCode).toBe(0);
}, 240_000);

afterAll(async () => {
  await world?.close();
});

const output = (step: string) =>
  world.t.app.inject({
    method: 'GET',
    url: `/v1/runs/${runId}/steps/${step}/output`,
    headers: world.tenant.headers,
  });

/** Runs a command on the box as the runtime user: what an agent of the run can do. */
async function asAgent(command: string): Promise<void> {
  const done = await world.rootExec(sh`runuser -u ${RUNTIME_USER} -- sh -c ${command}`);
  expect(done.exitCode, done.stderr).toBe(0);
}

async function text(file: { stream: AsyncIterable<unknown> } | undefined): Promise<string | undefined> {
  if (!file) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of file.stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('step output read on the box as the runtime user', () => {
  it('serves the output, its size and a cut at maxBytes in one exec', async () => {
    const whole = await output('say');
    expect(whole.statusCode).toBe(200);
    expect(whole.body).toBe('hello-output\n');
    expect(whole.headers['x-output-bytes']).toBe('13');
    const cut = await world.t.app.inject({
      method: 'GET',
      url: `/v1/runs/${runId}/steps/say/output?maxBytes=5`,
      headers: world.tenant.headers,
    });
    expect(cut.body).toBe('hello');
    expect(cut.headers['x-output-truncated']).toBe('true');
    // The current attempt is 1: the same file by its number, and a number the step never had is a 404.
    expect(whole.headers['x-output-attempt']).toBe('1');
    const first = await world.t.app.inject({
      method: 'GET',
      url: `/v1/runs/${runId}/steps/say/output?attempt=1`,
      headers: world.tenant.headers,
    });
    expect({ status: first.statusCode, body: first.body }).toEqual({ status: 200, body: 'hello-output\n' });
    const none = await world.t.app.inject({
      method: 'GET',
      url: `/v1/runs/${runId}/steps/say/output?attempt=2`,
      headers: world.tenant.headers,
    });
    expect(none.statusCode).toBe(404);
    expect(none.json().error.message).toContain('no attempt 2');

    // The same read the old way (stat, then head, as root: two execs) next to the new one, for the report.
    const path = `${stepsDir}/say/output`;
    const connection = await world.t.ssh.connect(world.fleet.target(world.box));
    const oldWay = async () => {
      await connection.exec(sh`stat -c %s -- ${path}`);
      const remote = await connection.spawn(sh`head -c 65536 -- ${path}`);
      for await (const _ of remote.channel) void _;
    };
    const newWay = async () => {
      expect(await text(await world.t.boxes.readStepOutput(world.boxId, runId, 'say', 65_536))).toBe('hello-output\n');
    };
    const times = { old: [] as number[], new: [] as number[] };
    for (let i = 0; i < 10; i++) {
      for (const [name, read] of [
        ['old', oldWay],
        ['new', newWay],
      ] as const) {
        const start = performance.now();
        await read();
        times[name].push(performance.now() - start);
      }
    }
    // Cold: a gateway whose serve channel for the box is not open (closed as idle, or a fresh API process). The old
    // way needed the runtime's root from the channel's hello, so it started `chainctl serve` first.
    const coldGateway = () =>
      new BoxGateway({
        connector: sshGatewayConnector({
          ssh: world.t.ssh,
          target: (boxId) => loadBoxTargetWithPrisma({ prisma: world.t.prisma, vault: world.t.vault }, boxId),
          serveCommand: sh`${SERVICE} serve`,
        }),
      });
    const cold = { old: [] as number[], new: [] as number[] };
    for (let i = 0; i < 3; i++) {
      for (const name of ['old', 'new'] as const) {
        const gateway = coldGateway();
        const start = performance.now();
        if (name === 'old') {
          await gateway.request(world.boxId, { op: 'health' });
          await oldWay();
        } else {
          expect(await text(await gateway.readStepOutput(world.boxId, runId, 'say', 65_536))).toBe('hello-output\n');
        }
        cold[name].push(performance.now() - start);
        await gateway.close();
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]?.toFixed(1);
    console.info(
      `step output over SSH, channel open, median of 10: stat + head as root (2 execs) ${median(times.old)} ms; ` +
        `paddock-service output as the runtime user (1 exec) ${median(times.new)} ms. Channel closed, median of 3: ` +
        `serve channel + 2 execs ${median(cold.old)} ms; 1 exec ${median(cold.new)} ms`,
    );
  });

  it('never serves a root-only file an agent links in place of its output', async () => {
    await asAgent(`ln -sfn /etc/paddock-secret-test ${stepsDir}/say/attempts/1/output`);
    const reply = await output('say');
    expect(reply.statusCode).toBe(404);
    expect(reply.json().error.code).toBe('not_found');
    expect(reply.body).not.toContain(SECRET);
    expect(await world.t.boxes.readStepOutput(world.boxId, runId, 'say', 1000, 1)).toBeUndefined();

    // A symlink to a file the runtime user may read is refused too: outputs are regular files the runtime wrote.
    await asAgent(`ln -sfn /etc/hostname ${stepsDir}/say/attempts/1/output`);
    expect((await output('say')).statusCode).toBe(404);
  });

  it('never serves a root-only file reached through a linked step directory or a hard link', async () => {
    const hidden = await world.rootExec(
      sh`mkdir -p /root/hidden/ghost && printf %s ${SECRET} > /root/hidden/ghost/output && chmod 700 /root/hidden`,
    );
    expect(hidden.exitCode).toBe(0);
    await asAgent(`ln -sfn /root/hidden/ghost ${stepsDir}/ghost`);
    expect(await world.t.boxes.readStepOutput(world.boxId, runId, 'ghost', 1000)).toBeUndefined();
    await asAgent(`ln -sfn /root/hidden/ghost ${stepsDir}/after/attempts/9`);
    expect(await world.t.boxes.readStepOutput(world.boxId, runId, 'after', 1000, 9)).toBeUndefined();

    // Where the kernel allows it (fs.protected_hardlinks=0), a hard link is a regular file: opening it as the
    // runtime user still fails, and no byte of it is served.
    await asAgent(
      `rm -f ${stepsDir}/after/attempts/1/output; ln /etc/paddock-secret-test ${stepsDir}/after/attempts/1/output || true`,
    );
    const reply = await output('after');
    expect(reply.statusCode).toBe(404);
    expect(reply.body).not.toContain(SECRET);
  });

  it('answers 404 for a missing output, and the box script refuses names outside the gateway rules', async () => {
    await asAgent(`rm -f ${stepsDir}/say/attempts/1/output`);
    const reply = await output('say');
    expect(reply.statusCode).toBe(404);
    expect(reply.json().error.message).toContain('no output');

    for (const [args, what] of [
      [['../etc', 'say', '10'], 'run id'],
      [[runId, '-say', '10'], 'step name'],
      [[runId, 'a/b', '10'], 'step name'],
      [['x'.repeat(129), 'say', '10'], 'run id'],
      [[runId, 'say', '1e3'], 'byte count'],
      [[runId, 'say', ''], 'byte count'],
      [[runId, 'say', '10', '0'], 'attempt'],
      [[runId, 'say', '10', '01'], 'attempt'],
      [[runId, 'say', '10', '../1'], 'attempt'],
      [[runId, 'say', '10', '1 2'], 'attempt'],
      [[runId, 'say', '10', '1'.repeat(11)], 'attempt'],
    ] as const) {
      const refused = await world.rootExec(sh`${SERVICE} output ${[...args]}`);
      expect({ code: refused.exitCode, stdout: refused.stdout }).toEqual({ code: 2, stdout: '' });
      expect(refused.stderr).toContain(`invalid ${what}`);
    }
  });
});
