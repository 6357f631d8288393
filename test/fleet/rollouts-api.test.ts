import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrapBox, type LocalRelease, type SshPool, sh } from '@paddock/fleet';
import { enqueueJob, createPrismaJobRecords } from '@paddock/jobs';
import { readTestEnv } from '@paddock/testkit';
import { createVault } from '@paddock/vault';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, loginAs, startTestApp, type TestApp } from '../../apps/api/src/test-app';
import { seedBox, seedSshKey, seedTenant } from '../collect/support/seed';
import { runPaddock } from '../support/run-paddock';
import { type AppProcess, spawnApp } from '../support/spawn-app';
import { waitFor } from '../support/wait-for';
import { SseReader } from '../support/sse-reader';
import { createTestFleet, type TestFleet } from './support/test-boxes';
import { buildTestRelease } from './support/test-release';

// Rollouts as an operator drives them: the operator API on real Postgres, real worker processes taking the
// `rollout.advance` jobs from Redis, and eight real sshd test boxes that the releases are deployed to.
const BOXES = 8;
let t: TestApp;
let fleet: TestFleet;
let ssh: SshPool;
let pool: pg.Pool;
let releaseDir: string;
let headers: { authorization: string };
/** Test boxes in rollout order (the order the control plane picks boxes in: oldest row first). */
let ordered: { boxId: string; box: TestFleet['boxes'][number] }[] = [];
const workers: AppProcess[] = [];
const masterKey = randomBytes(32).toString('base64');

async function publish(version: string, options: { payloadBytes?: number } = {}): Promise<LocalRelease> {
  const release = await buildTestRelease(releaseDir, {
    version,
    ...(options.payloadBytes ? { files: { 'lib/payload.bin': randomBytes(options.payloadBytes) } } : {}),
  });
  await t.prisma.release.create({
    data: {
      version,
      manifestHash: release.digest,
      manifest: JSON.parse(JSON.stringify(release.manifest)),
      runtimeVersion: version,
      sizeBytes: BigInt(release.totalBytes),
      fileCount: release.manifest.files.length,
    },
  });
  return release;
}

function startWorker(id: string): Promise<AppProcess> {
  const worker = spawnApp('apps/worker/src/main.ts', {
    DATABASE_URL: t.databaseUrl,
    REDIS_URL: readTestEnv().REDIS_URL,
    QUEUE_PREFIX: t.queues.fleet.opts.prefix ?? '',
    PADDOCK_MASTER_KEY: masterKey,
    WORKER_ID: id,
    RELEASE_DIR: releaseDir,
    RELEASE_AUTO_PUBLISH: 'false',
    COLLECTOR: 'false',
    // Short locks: a killed worker's job is taken over within seconds, not the default 30 s.
    LOCK_DURATION_MS: '5000',
    STALLED_INTERVAL_MS: '2000',
    LOG_LEVEL: 'info',
  });
  workers.push(worker);
  return worker.waitForLog('worker ready', 60_000).then(() => worker);
}

async function onBox(box: TestFleet['boxes'][number], command: ReturnType<typeof sh>): Promise<string> {
  const done = await (await ssh.connect(fleet.target(box))).exec(command);
  return done.stdout.trim();
}

async function versions(): Promise<string[]> {
  return Promise.all(
    ordered.map(async ({ box }) =>
      (await onBox(box, sh`readlink /opt/paddock/current || true`)).replace('releases/', ''),
    ),
  );
}

const post = (url: string, payload?: Record<string, unknown>) =>
  t.app.inject({ method: 'POST', url, headers, ...(payload ? { payload } : {}) });
const get = (url: string) => t.app.inject({ method: 'GET', url, headers });

interface RolloutReply {
  id: string;
  status: string;
  reason: string | null;
  batches: number;
  currentBatch: number;
  succeededBoxes: number;
  failedBoxes: number;
  rolledBackBoxes: number;
  boxes: { boxId: string; position: number; batch: number; status: string; error: string | null }[];
}

async function rolloutOnceEnded(id: string, timeoutMs = 120_000): Promise<RolloutReply> {
  return waitFor(
    `rollout ${id} to end`,
    async () => {
      const reply = (await get(`/v1/operator/rollouts/${id}`)).json() as RolloutReply;
      return ['succeeded', 'halted', 'canceled'].includes(reply.status) ? reply : undefined;
    },
    timeoutMs,
  );
}

let address: string | undefined;
/** The API on a real port (streams and the CLI need one): listened on once, by whichever test asks first. */
async function serverAddress(): Promise<string> {
  address ??= await t.app.listen({ host: '127.0.0.1', port: 0 });
  return address;
}

async function startRollout(body: Record<string, unknown>): Promise<string> {
  const reply = await post('/v1/operator/rollouts', body);
  expect(reply.statusCode, reply.body).toBe(202);
  return reply.json().id as string;
}

beforeAll(async () => {
  [t, fleet] = await Promise.all([startTestApp(), createTestFleet(BOXES)]);
  ssh = fleet.pool();
  pool = new pg.Pool({ connectionString: t.databaseUrl, max: 4 });
  releaseDir = mkdtempSync(join(tmpdir(), 'paddock-rollouts-'));
  await createOperator(t.prisma, 'fleet-ops@example.com', 'correct horse battery staple');
  headers = {
    authorization: `Bearer ${await loginAs(t.app, 'fleet-ops@example.com', 'correct horse battery staple')}`,
  };
  await Promise.all(fleet.boxes.map((box) => bootstrapBox({ pool: ssh, target: fleet.target(box) })));
  const vault = createVault(masterKey);
  const keyId = await seedSshKey(pool, vault, fleet.loginKey);
  for (const [index, box] of fleet.boxes.entries()) {
    const tenantId = await seedTenant(pool);
    await seedBox(pool, tenantId, {
      name: `fleet-${index}`,
      address: box.host,
      port: box.port,
      hostKey: box.hostKeyFingerprint,
      sshKeyId: keyId,
    });
  }
  const rows = await t.prisma.box.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  ordered = rows.map((row) => ({ boxId: row.id, box: fleet.boxes[Number(row.name?.split('-')[1])]! }));
  await startWorker('worker-1');
}, 240_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop('SIGKILL')));
  await pool?.end();
  await t?.close();
  await fleet?.destroy();
  if (releaseDir) rmSync(releaseDir, { recursive: true, force: true });
});

describe('fleet rollouts through the operator API', () => {
  it('rolls a release out canary first then in batches, streaming each box, and promotes it', async () => {
    await publish('r1');
    expect((await post('/v1/operator/rollouts', { release: 'nope' })).json().error.code).toBe('not_found');
    const bad = await post('/v1/operator/rollouts', { release: 'r1', batchSize: 0, extra: true });
    expect(bad.statusCode).toBe(400);
    const id = await startRollout({ release: 'r1', canarySize: 1, batchSize: 3, concurrency: 2 });
    expect((await post('/v1/operator/rollouts', { release: 'r1' })).statusCode).toBe(409);

    const stream = new SseReader(
      await fetch(`${await serverAddress()}/v1/operator/rollouts/${id}/events`, { headers }),
    );
    const seen = new Set<string>();
    const last = await stream.next(
      'the rollout to succeed',
      (event) => {
        const body = JSON.parse(event.data) as RolloutReply;
        for (const box of body.boxes) seen.add(`${box.position}:${box.status}`);
        return event.event === 'rollout' && body.status === 'succeeded';
      },
      120_000,
    );
    const done = JSON.parse(last.data) as RolloutReply;
    expect(done).toMatchObject({ batches: 4, succeededBoxes: BOXES, failedBoxes: 0 });
    expect(done.boxes.map((b) => b.batch)).toEqual([0, 1, 1, 1, 2, 2, 2, 3]);
    // The stream showed boxes moving on one by one, not only the end state.
    expect(seen.has('0:deploying') || seen.has('1:pending')).toBe(true);
    expect(await versions()).toEqual(Array(BOXES).fill('r1'));
    const releases = (await get('/v1/operator/releases')).json().releases as { version: string; current: boolean }[];
    expect(releases.find((r) => r.current)?.version).toBe('r1');
    const audit = await t.prisma.auditLog.findMany({ where: { targetId: id } });
    expect(audit.map((a) => [a.action, a.actorLabel])).toEqual([['rollout.start', 'fleet-ops@example.com']]);
  }, 180_000);

  it('stops at a failed canary and leaves every other box as it was', async () => {
    await publish('r2');
    const canary = ordered[0]!.box;
    await onBox(canary, sh`mv /opt/paddock/locks /opt/paddock/locks.off`);
    try {
      const done = await rolloutOnceEnded(await startRollout({ release: 'r2', canarySize: 1, batchSize: 4 }));
      expect(done.status).toBe('halted');
      expect(done.reason).toMatch(/canary failed on 1/);
      expect(done.boxes.map((b) => b.status)).toEqual(['failed', ...Array(BOXES - 1).fill('skipped')]);
    } finally {
      await onBox(canary, sh`mv /opt/paddock/locks.off /opt/paddock/locks`);
    }
    expect(await versions()).toEqual(Array(BOXES).fill('r1'));
    const releases = (await get('/v1/operator/releases')).json().releases as { version: string; current: boolean }[];
    expect(releases.find((r) => r.current)?.version).toBe('r1');
  }, 180_000);

  it('stops at the failure threshold mid-batch and rolls back every box it moved', async () => {
    const broken = ordered[4]!.box;
    await onBox(broken, sh`mv /opt/paddock/locks /opt/paddock/locks.off`);
    try {
      const id = await startRollout({ release: 'r2', canarySize: 1, batchSize: 3, concurrency: 1, maxFailures: 1 });
      const done = await rolloutOnceEnded(id);
      expect(done.status).toBe('halted');
      expect(done.reason).toMatch(/threshold is 1/);
      // Canary and batch 1 had moved and were put back; the failing box stopped the rest of its batch.
      expect(done.boxes.map((b) => b.status)).toEqual([
        'reverted',
        'reverted',
        'reverted',
        'reverted',
        'failed',
        'skipped',
        'skipped',
        'skipped',
      ]);
      expect(done.rolledBackBoxes).toBe(4);
    } finally {
      await onBox(broken, sh`mv /opt/paddock/locks.off /opt/paddock/locks`);
    }
    expect(await versions()).toEqual(Array(BOXES).fill('r1'));
  }, 180_000);

  it('pauses between boxes, resumes, and an abort rolls back what it moved', async () => {
    await publish('r3');
    const paused = await startRollout({ release: 'r3', canarySize: 1, batchSize: 2, concurrency: 1 });
    expect((await post(`/v1/operator/rollouts/${paused}/pause`)).json().status).toBe('paused');
    expect((await post(`/v1/operator/rollouts/${paused}/pause`)).statusCode).toBe(409);
    // Paused: whatever was in flight finishes, then nothing moves.
    const settled = await waitFor('the paused rollout to settle', async () => {
      const reply = (await get(`/v1/operator/rollouts/${paused}`)).json() as RolloutReply;
      return reply.boxes.every((b) => b.status !== 'deploying') ? reply : undefined;
    });
    expect(settled.status).toBe('paused');
    expect(settled.boxes.some((b) => b.status === 'pending')).toBe(true);
    expect((await post(`/v1/operator/rollouts/${paused}/resume`)).json().status).toBe('running');
    expect((await rolloutOnceEnded(paused)).status).toBe('succeeded');
    expect(await versions()).toEqual(Array(BOXES).fill('r3'));

    await publish('r4');
    const aborted = await startRollout({ release: 'r4', canarySize: 1, batchSize: 8, concurrency: 1 });
    await waitFor('the canary to be on r4', async () => {
      const reply = (await get(`/v1/operator/rollouts/${aborted}`)).json() as RolloutReply;
      return reply.boxes[0]?.status === 'succeeded';
    });
    expect((await post(`/v1/operator/rollouts/${aborted}/abort`)).json().status).toBe('rolling_back');
    const done = await rolloutOnceEnded(aborted);
    expect(done.status).toBe('canceled');
    expect(done.reason).toBe('aborted by fleet-ops@example.com');
    expect(await versions()).toEqual(Array(BOXES).fill('r3'));
    const actions = await t.prisma.auditLog.findMany({ where: { targetType: 'rollout' }, orderBy: { id: 'asc' } });
    expect(actions.map((a) => a.action).slice(-5)).toEqual([
      'rollout.start',
      'rollout.pause',
      'rollout.resume',
      'rollout.start',
      'rollout.abort',
    ]);
  }, 240_000);

  it('finishes once after its worker is killed mid-batch: every box deployed exactly once', async () => {
    await publish('r5', { payloadBytes: 9 * 1024 * 1024 });
    const id = await startRollout({ release: 'r5', canarySize: 1, batchSize: 4, concurrency: 1 });
    await waitFor(
      'the third box to be deploying',
      async () => {
        const reply = (await get(`/v1/operator/rollouts/${id}`)).json() as RolloutReply;
        return reply.boxes[2]?.status === 'deploying';
      },
      120_000,
    );
    for (const worker of workers.splice(0)) await worker.stop('SIGKILL');
    await startWorker('worker-heir');
    const done = await rolloutOnceEnded(id, 180_000);
    expect(done.status).toBe('succeeded');
    expect(done.boxes.every((b) => b.status === 'succeeded')).toBe(true);
    // The rollout's own counts went on from where the dead worker left them: each box counted once.
    expect(done).toMatchObject({ succeededBoxes: BOXES, failedBoxes: 0, rolledBackBoxes: 0 });
    expect(await versions()).toEqual(Array(BOXES).fill('r5'));
    // One deploy per box for this rollout: the box in flight at the kill was finished under the same deploy.
    const deploys = await t.prisma.deploy.findMany({ where: { rolloutId: id, kind: 'deploy' } });
    expect(deploys).toHaveLength(BOXES);
    expect(new Set(deploys.map((d) => d.boxId)).size).toBe(BOXES);
    expect(deploys.every((d) => d.status === 'succeeded')).toBe(true);
    const jobs = await t.prisma.jobRecord.findMany({ where: { jobId: { startsWith: `rollout-${id}-` } } });
    expect(jobs.some((job) => job.workerId === 'worker-heir')).toBe(true);
  }, 300_000);

  it('builds a release from the runtime source on request, which new boxes get only once rolled out', async () => {
    const reply = await post('/v1/operator/releases', { node: 'system', notes: 'built for the API test' });
    expect(reply.statusCode, reply.body).toBe(202);
    const { jobRecordId } = reply.json() as { jobRecordId: string };
    const job = await waitFor(
      'the release build to finish',
      async () => {
        const row = await t.prisma.jobRecord.findUniqueOrThrow({ where: { id: jobRecordId } });
        return row.status === 'succeeded' || row.status === 'failed' ? row : undefined;
      },
      120_000,
    );
    expect(job.status, job.error ?? '').toBe('succeeded');
    const version = (job.output as { version: string }).version;
    const releases = (await get('/v1/operator/releases')).json().releases as {
      version: string;
      current: boolean;
      notes: string | null;
      promotedAt: string | null;
    }[];
    expect(releases.find((r) => r.version === version)).toMatchObject({
      notes: 'built for the API test',
      current: false,
      promotedAt: null,
    });
    expect(releases.find((r) => r.current)?.version).not.toBe(version);
    const audit = await t.prisma.auditLog.findFirstOrThrow({ where: { action: 'release.publish' } });
    expect(audit.targetId).toBe(jobRecordId);
    expect((await post('/v1/operator/releases', { node: 'docker' })).statusCode).toBe(400);
  }, 180_000);

  it('is driven from the paddock CLI: start, follow (plain lines when piped), exit 1 when it does not succeed', async () => {
    await publish('r6');
    const home = mkdtempSync(join(tmpdir(), 'paddock-rollout-cli-'));
    try {
      const server = await serverAddress();
      const paddock = (args: string[], stdin?: string) =>
        runPaddock(args, { configHome: home, ...(stdin === undefined ? {} : { stdin }) });
      const login = await paddock(
        ['login', '--server', server, '--email', 'fleet-ops@example.com', '--password-stdin'],
        'correct horse battery staple\n',
      );
      expect(login.code, login.stderr).toBe(0);
      const started = await paddock(['rollout', 'start', 'r6', '--canary', '1', '--batch', '4', '--json']);
      expect(started.code, started.stderr).toBe(0);
      const id = (JSON.parse(started.stdout) as { id: string }).id;
      const followed = await paddock(['rollout', 'status', id, '--follow']);
      expect(followed.code, followed.stderr).toBe(0);
      // Piped: one line per change, ending with the rollout's whole state.
      expect(followed.stdout).toContain(`rollout ${id} of r6: succeeded`);
      expect(followed.stdout.match(/box fleet-\d: succeeded/g)?.length).toBe(BOXES);
      const releases = await paddock(['releases', 'list']);
      expect(releases.stdout).toMatch(/\*\s*│\s*r6\s/);

      const broken = ordered[0]!.box;
      await publish('r7');
      await onBox(broken, sh`mv /opt/paddock/locks /opt/paddock/locks.off`);
      try {
        const halted = await paddock(['rollout', 'start', 'r7', '--json']);
        const haltedId = (JSON.parse(halted.stdout) as { id: string }).id;
        const watched = await paddock(['rollout', 'status', haltedId, '--follow']);
        expect(watched.code).toBe(1);
        expect(watched.stderr).toContain(`rollout ${haltedId} ended halted`);
      } finally {
        await onBox(broken, sh`mv /opt/paddock/locks.off /opt/paddock/locks`);
      }
      const usage = await paddock(['rollout', 'start']);
      expect(usage.code).toBe(2);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 300_000);
  it('leaves a box unreachable at the start offline (not succeeded) and brings it the promoted release when it returns', async () => {
    await publish('r8');
    const away = ordered[BOXES - 1]!;
    const before = (await versions())[BOXES - 1];
    // Unreachable as the collector's silence sweep records it; a deploy to it would fail too (no lock directory),
    // so a box the rollout tried would show up as failed, not offline.
    await t.prisma.box.update({ where: { id: away.boxId }, data: { status: 'unreachable' } });
    await onBox(away.box, sh`mv /opt/paddock/locks /opt/paddock/locks.off`);
    const id = await startRollout({ release: 'r8', canarySize: 1, batchSize: 4 });
    const done = await rolloutOnceEnded(id);
    expect(done.status).toBe('succeeded');
    expect(done).toMatchObject({ succeededBoxes: BOXES - 1, failedBoxes: 0, offlineBoxes: 1, batches: 3 });
    const offline = done.boxes.find((b) => b.boxId === away.boxId);
    expect(offline).toMatchObject({ status: 'offline', batch: -1 });
    expect(offline?.error).toMatch(/unreachable when the rollout started/);
    expect((await versions()).slice(0, BOXES - 1)).toEqual(Array(BOXES - 1).fill('r8'));
    expect((await versions())[BOXES - 1]).toBe(before);

    // It answers again (the health beat marks it ready): the catch-up job deploys the promoted release to it.
    await onBox(away.box, sh`mv /opt/paddock/locks.off /opt/paddock/locks`);
    await t.prisma.box.update({ where: { id: away.boxId }, data: { status: 'ready' } });
    await enqueueJob({ queues: t.queues, records: createPrismaJobRecords(t.prisma) }, 'fleet.catch-up', {});
    const caughtUp = await waitFor(
      'the offline box to catch up',
      async () => {
        const reply = (await get(`/v1/operator/rollouts/${id}`)).json() as RolloutReply & { offlineBoxes: number };
        // The row moves first, the rollout's counts follow it (as for every box of a rollout).
        const moved = reply.boxes.find((b) => b.boxId === away.boxId)?.status === 'caught_up';
        return moved && reply.offlineBoxes === 0 ? reply : undefined;
      },
      120_000,
    );
    expect(caughtUp).toMatchObject({ status: 'succeeded', offlineBoxes: 0, succeededBoxes: BOXES - 1 });
    expect(await versions()).toEqual(Array(BOXES).fill('r8'));
    const deploys = await t.prisma.deploy.findMany({ where: { boxId: away.boxId, release: { version: 'r8' } } });
    expect(deploys.map((d) => d.status)).toEqual(['succeeded']);
    // Again: nothing left to catch up, nothing deployed twice.
    const again = await enqueueJob(
      { queues: t.queues, records: createPrismaJobRecords(t.prisma) },
      'fleet.catch-up',
      {},
    );
    const record = await waitFor('the second catch-up to finish', async () => {
      const row = await t.prisma.jobRecord.findUniqueOrThrow({ where: { id: again.recordId } });
      return row.status === 'succeeded' || row.status === 'failed' ? row : undefined;
    });
    expect(record.status, record.error ?? '').toBe('succeeded');
    expect(record.output).toEqual([]);
    expect(await t.prisma.deploy.count({ where: { boxId: away.boxId, release: { version: 'r8' } } })).toBe(1);
  }, 240_000);
});
