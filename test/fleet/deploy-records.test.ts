import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrismaClient, type PrismaClient } from '@paddock/db';
import {
  type BoxTarget,
  bootstrapBox,
  deployToBox,
  FleetError,
  type FleetEvent,
  generateSshKeyPair,
  type LocalRelease,
  rolloutRelease,
  type SshPool,
} from '@paddock/fleet';
import { createPrismaDeployLock, createPrismaFleetRecorder } from '@paddock/services';
import { createTestDatabase, type TestDatabase } from '@paddock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestFleet, type TestFleet } from './support/test-boxes';
import { buildTestRelease } from './support/test-release';
import { waitFor } from '../support/wait-for';

// Real Postgres (a fresh migrated database) and a real test box: what the service layer keeps of fleet work.
let db: TestDatabase;
let prisma: PrismaClient;
let fleet: TestFleet;
let releasesDir: string;
let boxId: string;
let target: BoxTarget;
const releases: Record<string, LocalRelease> = {};

async function publish(version: string, healthy = true): Promise<void> {
  const release = await buildTestRelease(releasesDir, { version, healthy });
  releases[version] = release;
  await prisma.release.create({
    data: {
      version,
      manifestHash: release.digest,
      manifest: JSON.parse(JSON.stringify(release.manifest)),
      runtimeVersion: version,
      sizeBytes: BigInt(release.totalBytes),
      fileCount: release.manifest.files.length,
    },
  });
}

async function boxRow(name: string, box: TestFleet['boxes'][number], pin: boolean) {
  return prisma.box.create({
    data: {
      provider: 'local',
      providerId: `${name}-${randomUUID()}`,
      name,
      address: box.host,
      port: box.port,
      status: 'bootstrapping',
      hostKeyFingerprint: pin ? box.hostKeyFingerprint : null,
      hostKeyTofuAllowed: !pin,
    },
  });
}

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);
  fleet = await createTestFleet(2);
  releasesDir = mkdtempSync(join(tmpdir(), 'paddock-records-'));
  const row = await boxRow('records-box', fleet.boxes[0]!, true);
  boxId = row.id;
  target = fleet.target(fleet.boxes[0]!, { id: boxId });
  await Promise.all([publish('r1'), publish('r2-broken', false), publish('r3')]);
});

afterAll(async () => {
  await fleet?.destroy();
  await prisma?.$disconnect();
  await db?.drop();
  if (releasesDir) rmSync(releasesDir, { recursive: true, force: true });
});

function pool(recorder = createPrismaFleetRecorder({ prisma })): SshPool {
  return fleet.pool({ recorder });
}

describe('fleet records in Postgres', () => {
  it('records the bootstrap on the box row and in the audit log', async () => {
    const recorder = createPrismaFleetRecorder({ prisma });
    await bootstrapBox({ pool: pool(recorder), target, recorder });
    const box = await prisma.box.findUniqueOrThrow({ where: { id: boxId } });
    expect(box.bootstrappedAt).not.toBeNull();
    expect(box.bootstrapReport).toMatchObject({ serviceMode: 'supervised' });
    expect((box.bootstrapReport as { steps: unknown[] }).steps.length).toBeGreaterThan(2);
    const audit = await prisma.auditLog.findMany({ where: { targetId: boxId, action: 'box.bootstrap' } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorType: 'system', actorLabel: 'fleet', targetType: 'box' });
  });

  it('keeps a deploy row with every step in its log tail, and moves the box to the new release', async () => {
    const recorder = createPrismaFleetRecorder({ prisma }, { actor: { type: 'system', label: 'deploy worker 1' } });
    const lock = createPrismaDeployLock({ prisma });
    const deployId = randomUUID();
    const result = await deployToBox({
      pool: pool(recorder),
      target,
      release: releases.r1!,
      deployId,
      recorder,
      lockProvider: lock,
    });
    expect(result.outcome).toBe('succeeded');
    expect(recorder.deployRowId(deployId)).toBe(deployId);
    const row = await prisma.deploy.findUniqueOrThrow({ where: { id: deployId }, include: { release: true } });
    expect(row).toMatchObject({ boxId, status: 'succeeded', kind: 'deploy', attempts: 1, error: null });
    expect(row.release.version).toBe('r1');
    expect(row.filesUploaded).toBe(releases.r1!.manifest.files.length);
    expect(row.bytesSent).toBe(BigInt(releases.r1!.totalBytes));
    expect(row.finishedAt).not.toBeNull();
    for (const step of ['lock', 'upload', 'verify', 'assemble', 'activate', 'restart', 'health', 'prune']) {
      expect(row.logTail).toContain(`@@step ${step} succeeded`);
    }
    expect(row.logTail).toContain('{"ok":true,"version":"r1"}');
    const box = await prisma.box.findUniqueOrThrow({ where: { id: boxId }, include: { currentRelease: true } });
    expect(box.runtimeVersion).toBe('r1');
    expect(box.currentRelease?.version).toBe('r1');
    expect(await prisma.boxLock.count()).toBe(0);
    const audit = await prisma.auditLog.findFirstOrThrow({ where: { targetId: boxId, action: 'box.deploy' } });
    expect(audit.actorLabel).toBe('deploy worker 1');
    expect(audit.details).toMatchObject({ deployId, version: 'r1', outcome: 'succeeded', activeVersion: 'r1' });
  });

  it('shows the log tail of a deploy in flight, step by step', async () => {
    const inner = createPrismaFleetRecorder({ prisma });
    const deployId = randomUUID();
    const tails: string[] = [];
    // Records are awaited in order: reading the row right after the upload step is recorded sees the deploy mid-way.
    const recorder = {
      async record(event: FleetEvent) {
        await inner.record(event);
        if (event.type === 'deploy.step' && event.step === 'upload' && event.status === 'succeeded') {
          const row = await prisma.deploy.findUniqueOrThrow({ where: { id: deployId } });
          tails.push(`${row.status}|${row.logTail}`);
        }
      },
    };
    const result = await deployToBox({ pool: pool(), target, release: releases.r3!, deployId, recorder });
    expect(result.outcome).toBe('succeeded');
    expect(tails).toHaveLength(1);
    expect(tails[0]).toMatch(/^running\|/);
    expect(tails[0]).toContain('@@step lock succeeded\n');
    expect(tails[0]).toContain('@@step upload succeeded');
    expect(tails[0]).not.toContain('@@step verify');
  });

  it('records a rolled-back deploy, raises an alert, and the next good deploy resolves it', async () => {
    const recorder = createPrismaFleetRecorder({ prisma });
    const broken = randomUUID();
    const result = await deployToBox({
      pool: pool(recorder),
      target,
      release: releases['r2-broken']!,
      health: { attempts: 3, intervalSeconds: 0.2 },
      deployId: broken,
      recorder,
    });
    expect(result.outcome).toBe('rolled_back');
    const row = await prisma.deploy.findUniqueOrThrow({ where: { id: broken }, include: { previousRelease: true } });
    expect(row.status).toBe('rolled_back');
    expect(row.previousRelease?.version).toBe('r3');
    expect(row.error).toMatch(/^health_check_failed: /);
    expect(row.logTail).toContain('@@step rollback succeeded');
    const box = await prisma.box.findUniqueOrThrow({ where: { id: boxId }, include: { currentRelease: true } });
    expect(box.currentRelease?.version).toBe('r3');
    const alert = await prisma.alert.findFirstOrThrow({ where: { boxId, code: 'deploy_failed' } });
    expect(alert).toMatchObject({ status: 'open', severity: 'warning' });
    expect(alert.message).toContain('rolled back to r3');

    const good = await deployToBox({
      pool: pool(recorder),
      target,
      release: releases.r1!,
      deployId: randomUUID(),
      recorder,
    });
    expect(good.outcome).toBe('succeeded');
    expect((await prisma.alert.findUniqueOrThrow({ where: { id: alert.id } })).status).toBe('resolved');
  });

  it('holds the deploy lock in Postgres: a second deploy to the box is refused before it touches the box', async () => {
    const lock = createPrismaDeployLock({ prisma });
    const held = await lock.acquire({ boxId, deployId: 'another-worker' });
    try {
      const recorder = createPrismaFleetRecorder({ prisma });
      const deployId = randomUUID();
      const result = await deployToBox({
        pool: pool(recorder),
        target,
        release: releases.r3!,
        deployId,
        recorder,
        lockProvider: lock,
      });
      expect(result.outcome).toBe('failed');
      expect(result.error?.failure).toBe('deploy_locked');
      expect(result.error?.message).toContain('deploy another-worker');
      expect(result.bytesUploaded).toBe(0);
      const row = await prisma.deploy.findUniqueOrThrow({ where: { id: deployId } });
      expect(row.status).toBe('failed');
      expect(row.error).toMatch(/^deploy_locked: /);
      expect(row.logTail).toContain('@@step lock failed');
      expect(row.logTail).not.toContain('@@step upload');
    } finally {
      await held.release();
    }
    expect(await prisma.boxLock.count()).toBe(0);
    // An expired lease (its holder died) is taken over.
    const short = createPrismaDeployLock({ prisma }, { leaseMs: 50 });
    await short.acquire({ boxId, deployId: 'crashed-worker' });
    await waitFor("the crashed holder's lease to expire", async () => {
      const [row] = await prisma.$queryRaw<Array<{ expired: boolean }>>`
        SELECT expires_at < now() AS expired FROM box_locks WHERE box_id = ${boxId}::uuid`;
      return row?.expired;
    });
    const taken = await createPrismaDeployLock({ prisma }).acquire({ boxId, deployId: 'next-worker' });
    expect((await prisma.boxLock.findFirstOrThrow()).holder).toBe('deploy next-worker');
    await taken.release();
  });

  it('refuses a deploy of a release that was never published, before anything reaches the box', async () => {
    const unpublished = await buildTestRelease(releasesDir, { version: 'not-published' });
    const recorder = createPrismaFleetRecorder({ prisma });
    const error = await deployToBox({
      pool: pool(recorder),
      target,
      release: unpublished,
      deployId: randomUUID(),
      recorder,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'not_found' });
    expect((error as Error).message).toContain('not-published');
  });

  it('links a rollout’s deploys to its row and keeps its counts', async () => {
    const rollout = await prisma.rollout.create({
      data: {
        releaseId: (await prisma.release.findUniqueOrThrow({ where: { version: 'r3' } })).id,
        concurrency: 2,
        canarySize: 1,
        maxFailureBps: 2000,
      },
    });
    const recorder = createPrismaFleetRecorder({ prisma });
    const result = await rolloutRelease({
      pool: pool(recorder),
      release: releases.r3!,
      targets: [target],
      rolloutId: rollout.id,
      recorder,
    });
    expect(result.results.map((r) => r.outcome)).toEqual(['succeeded']);
    const row = await prisma.rollout.findUniqueOrThrow({ where: { id: rollout.id }, include: { deploys: true } });
    expect(row).toMatchObject({ status: 'succeeded', totalBoxes: 1, succeededBoxes: 1, failedBoxes: 0 });
    expect(row.startedAt).not.toBeNull();
    expect(row.finishedAt).not.toBeNull();
    expect(row.deploys).toHaveLength(1);
    expect(row.deploys[0]).toMatchObject({ boxId, status: 'succeeded' });
  });
});

describe('host keys in Postgres', () => {
  it('refuses a changed host key, raises one critical alert (bumped on repeats) and marks the box unreachable', async () => {
    const impostor = generateSshKeyPair('impostor');
    const recorder = createPrismaFleetRecorder({ prisma });
    // The row pins a key the box does not have (as after the box's key changed under its pin).
    await prisma.box.update({ where: { id: boxId }, data: { hostKeyFingerprint: impostor.fingerprint } });
    const wrongPin = { ...target, hostKey: { kind: 'pinned' as const, fingerprint: impostor.fingerprint } };
    for (let i = 0; i < 2; i++) {
      const error = await pool(recorder)
        .connect(wrongPin)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FleetError);
      expect((error as FleetError).failure).toBe('host_key_mismatch');
    }
    const alerts = await prisma.alert.findMany({ where: { boxId, code: 'host_key_changed' } });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ severity: 'critical', status: 'open', occurrences: 2 });
    expect(alerts[0]!.details).toMatchObject({
      expected: impostor.fingerprint,
      presented: fleet.boxes[0]!.hostKeyFingerprint,
    });
    const box = await prisma.box.findUniqueOrThrow({ where: { id: boxId } });
    expect(box.status).toBe('unreachable');
    expect(box.statusReason).toContain('host key changed');
    // One incident, one audit row: repeats only bump the alert.
    expect(await prisma.auditLog.count({ where: { targetId: boxId, action: 'box.host_key.mismatch' } })).toBe(1);
  });

  it('pins a first-use key on the box row with its audit entry, only where the operator allowed it', async () => {
    const row = await boxRow('tofu-box', fleet.boxes[1]!, false);
    const recorder = createPrismaFleetRecorder({ prisma }, { actor: { type: 'system', label: 'provisioning' } });
    const tofu = fleet.target(fleet.boxes[1]!, { id: row.id, hostKey: { kind: 'trust-on-first-use' } });
    const connection = await pool(recorder).connect(tofu);
    expect(connection.fingerprint).toBe(fleet.boxes[1]!.hostKeyFingerprint);
    const box = await prisma.box.findUniqueOrThrow({ where: { id: row.id } });
    expect(box.hostKeyFingerprint).toBe(fleet.boxes[1]!.hostKeyFingerprint);
    expect(box.hostKeyPinnedAt).not.toBeNull();
    const audit = await prisma.auditLog.findMany({ where: { targetId: row.id, action: 'box.host_key.trust' } });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.details).toMatchObject({
      fingerprint: fleet.boxes[1]!.hostKeyFingerprint,
      how: 'trust_on_first_use',
    });

    // A box whose operator did not allow it: the record is refused, and so is the connection.
    const strict = await prisma.box.create({
      data: { provider: 'local', providerId: `strict-${randomUUID()}`, address: fleet.boxes[1]!.host },
    });
    const error = await pool(recorder)
      .connect({ ...tofu, id: strict.id })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FleetError);
    expect((error as FleetError).failure).toBe('host_key_unknown');
    expect((await prisma.box.findUniqueOrThrow({ where: { id: strict.id } })).hostKeyFingerprint).toBeNull();
    expect(await prisma.auditLog.count({ where: { targetId: strict.id } })).toBe(0);
  });
});
