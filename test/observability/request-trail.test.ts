import { randomBytes, randomUUID } from 'node:crypto';
import { SshPool, sh } from '@paddock/fleet';
import { loadBoxTargetWithPrisma } from '@paddock/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LifecycleEnv, startLifecycleEnv } from '../lifecycle/support/lifecycle-env';
import { find, parseSamples } from '../support/prometheus-text';

const TOKEN = `metrics-${randomBytes(12).toString('hex')}`;

// One signup followed end to end over real processes and a real box: the API's request id is on every job the
// signup caused (job_records.request_id), and the box's root-owned service log names it for the commands those
// jobs ran there. The worker's /metrics then shows the SSH work and the jobs it did.
describe('a request id from the API to the box', () => {
  let env: LifecycleEnv;
  let ssh: SshPool;
  let workerMetrics: string;
  const requestId = `signup-${randomUUID()}`;
  let tenantId: string;

  beforeAll(async () => {
    env = await startLifecycleEnv();
    const worker = await env.startWorker('trail-worker', {
      METRICS_PORT: '0',
      METRICS_TOKEN: TOKEN,
      COLLECTOR: 'false',
    });
    const url = /"url":"(http:\/\/127\.0\.0\.1:\d+\/metrics)"/.exec(worker.output())?.[1];
    if (!url) throw new Error(`the worker did not say where its metrics are:\n${worker.output()}`);
    workerMetrics = url;
    const { url: api } = await env.startApi();
    const unique = randomUUID().slice(0, 8);
    const signup = await fetch(`${api}/v1/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID(), 'x-request-id': requestId },
      body: JSON.stringify({ email: `trail-${unique}@example.com`, workspaceName: `Trail ${unique}`, plan: 'starter' }),
    });
    expect(signup.status).toBe(202);
    expect(signup.headers.get('x-request-id')).toBe(requestId);
    tenantId = ((await signup.json()) as { tenant: { id: string } }).tenant.id;
    await env.waitForTenant(tenantId, 'active', 180_000);
    ssh = new SshPool();
  }, 300_000);

  afterAll(async () => {
    await ssh?.close(2_000);
    await env?.close();
  });

  it('is on every job the signup caused and in the box log of the commands they ran', async () => {
    const jobs = await env.prisma.jobRecord.findMany({ where: { tenantId }, orderBy: { createdAt: 'asc' } });
    expect(jobs.map((j) => j.name)).toEqual(expect.arrayContaining(['tenant.provision', 'workflow.advance']));
    expect(jobs.filter((j) => j.requestId !== requestId).map((j) => `${j.name} ${j.requestId}`)).toEqual([]);

    const box = await env.prisma.box.findFirstOrThrow({ where: { tenantId, status: 'ready' } });
    const connection = await ssh.connect(
      await loadBoxTargetWithPrisma({ prisma: env.prisma, vault: env.vault }, box.id),
    );
    const log = (await connection.exec(sh`cat /opt/paddock/service.log`)).stdout;
    const ours = log.split('\n').filter((line) => line.includes(`request=${requestId} paddock-service `));
    // The deploy restarts the runtime and checks its health through paddock-service, both for this signup.
    expect(ours.some((line) => line.endsWith('paddock-service restart --no-wait'))).toBe(true);
    expect(ours.some((line) => line.endsWith('paddock-service health'))).toBe(true);
    // Root's own file: the runtime user (the tenant) can neither write nor replace it.
    const owner = (await connection.exec(sh`stat -c '%U %a' /opt/paddock/service.log /opt/paddock`)).stdout;
    expect(owner.split('\n').filter(Boolean)).toEqual(['root 644', 'root 755']);
    // This command ran outside any request: nothing was logged for it.
    expect(
      log
        .split('\n')
        .filter((l) => l.includes('paddock-service'))
        .every((l) => / request=[\w.-]+ /.test(l)),
    ).toBe(true);

    // A hostile value (the variable is the SSH layer's, but the script trusts no input) is logged as `invalid`.
    const marker = `/tmp/trail-${randomUUID()}`;
    await connection.exec(
      sh`PADDOCK_REQUEST_ID=${`$(touch ${marker})\nforged=1`} /opt/paddock/bin/paddock-service status`,
      { okExitCodes: [0, 3] },
    );
    const after = (await connection.exec(sh`tail -n 1 /opt/paddock/service.log; test ! -e ${marker} && echo clean`))
      .stdout;
    expect(after).toMatch(/ request=invalid paddock-service status\n/);
    expect(after).not.toContain('forged');
    expect(after.trim().endsWith('clean')).toBe(true);
  });

  it("shows the worker's SSH work and jobs on its /metrics", async () => {
    expect((await fetch(workerMetrics)).status).toBe(401);
    const answer = await fetch(workerMetrics, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(answer.status).toBe(200);
    const samples = parseSamples(await answer.text());
    const execs = find(samples, 'paddock_ssh_command_duration_seconds_count', { kind: 'exec', outcome: 'ok' });
    expect(execs[0]?.value ?? 0).toBeGreaterThan(0);
    expect(find(samples, 'paddock_ssh_connections_opened_total')[0]?.value ?? 0).toBeGreaterThanOrEqual(1);
    const advanced = find(samples, 'paddock_job_duration_seconds_count', {
      name: 'workflow.advance',
      queue: 'provisioning',
      outcome: 'succeeded',
    });
    expect(advanced[0]?.value ?? 0).toBeGreaterThanOrEqual(5);
    expect(find(samples, 'paddock_boxes', { status: 'ready' })[0]?.value).toBe(1);
    const labels = samples.flatMap((s) => Object.values(s.labels));
    expect(labels.filter((v) => v.includes('@') || v.includes(tenantId) || v.includes(requestId))).toEqual([]);
  });
});
