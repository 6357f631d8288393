import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bootstrapBox,
  deployToBox,
  type FleetEvent,
  type LocalRelease,
  rollbackBox,
  type SshPool,
  sh,
} from '@paddock/fleet';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { collectEvents, createTestFleet, type TestFleet } from './support/test-boxes';
import { buildTestRelease } from './support/test-release';

let fleet: TestFleet;
let pool: SshPool;
let releasesDir: string;

beforeAll(async () => {
  fleet = await createTestFleet(2);
  pool = fleet.pool();
  releasesDir = mkdtempSync(join(tmpdir(), 'paddock-test-releases-'));
  await Promise.all(fleet.boxes.map((box) => bootstrapBox({ pool, target: fleet.target(box) })));
});

afterAll(async () => {
  await fleet?.destroy();
  if (releasesDir) rmSync(releasesDir, { recursive: true, force: true });
});

async function boxFacts(boxIndex: number) {
  const connection = await pool.connect(fleet.target(fleet.boxes[boxIndex]!));
  const out = await connection.exec(sh`cd /opt/paddock
echo "current=$(readlink current)"
echo "running=$(bin/paddock-service running-release)"
echo "pid=$(cat /var/lib/paddock/daemon.pid 2>/dev/null)"
echo "releases=$(ls releases | tr '\\n' ' ')"
echo "objects=$(ls store | wc -l)"
echo "incoming=$(ls incoming | wc -l)"`);
  return Object.fromEntries(
    out.stdout
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]),
  );
}

function steps(events: FleetEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'deploy.step' ? [`${e.step}:${e.status}`] : []));
}

describe('deploys to one box', () => {
  let v1: LocalRelease;

  it('deploys a first release: uploads it, verifies, assembles, starts the runtime, records every step', async () => {
    v1 = await buildTestRelease(releasesDir, { version: 'v1' });
    const recorder = collectEvents();
    const lines: string[] = [];
    const result = await deployToBox({
      pool,
      target: fleet.target(fleet.boxes[0]!),
      release: v1,
      deployId: 'deploy-v1',
      recorder,
      onLog: (line) => lines.push(line),
    });
    expect(result).toMatchObject({ outcome: 'succeeded', previousVersion: null, activeVersion: 'v1', attempts: 1 });
    expect(result.bytesUploaded).toBe(v1.totalBytes);
    expect(steps(recorder.events)).toEqual([
      'lock:succeeded',
      'inspect:succeeded',
      'upload:started',
      'upload:succeeded',
      'verify:started',
      'verify:succeeded',
      'assemble:started',
      'assemble:succeeded',
      'activate:started',
      'activate:succeeded',
      'restart:started',
      'restart:succeeded',
      'health:started',
      'health:succeeded',
      'prune:started',
      'prune:succeeded',
    ]);
    expect(recorder.events[0]).toEqual({
      type: 'deploy.started',
      deployId: 'deploy-v1',
      boxId: 'box-1',
      version: 'v1',
      kind: 'deploy',
    });
    const finished = recorder.events.at(-1);
    expect(finished).toMatchObject({ type: 'deploy.finished', outcome: 'succeeded', activeVersion: 'v1' });
    // The health answer is the new daemon's own state file: its pid, a script of release v1, a passed self-test.
    const healthLine = `daemon ${(await boxFacts(0)).pid} runs release v1 and passed its self-test`;
    expect(finished?.type === 'deploy.finished' && finished.logTail).toContain(healthLine);
    expect(lines).toContain(healthLine);
    expect(lines.find((l) => l.startsWith('state: {"pid":'))).toContain('"self_test":{"ok":true,"version":"v1"}');
    const facts = await boxFacts(0);
    expect(facts).toMatchObject({ current: 'releases/v1', running: 'v1', releases: 'v1', incoming: '0' });
    expect(Number(facts.objects)).toBe(new Set(v1.manifest.files.map((f) => f.sha256)).size);
    // Release files are hard links into the store, read-only, with the right content.
    const bin = box0Path('/opt/paddock/releases/v1/bin/chainctl');
    expect(readFileSync(bin)).toEqual(readFileSync(join(v1.root, 'bin/chainctl')));
  });

  it('redeploys the same release without uploading or restarting anything', async () => {
    const before = await boxFacts(0);
    const recorder = collectEvents();
    const result = await deployToBox({
      pool,
      target: fleet.target(fleet.boxes[0]!),
      release: v1,
      deployId: 'again-v1',
      recorder,
    });
    expect(result).toMatchObject({ outcome: 'unchanged', bytesUploaded: 0, filesUploaded: 0, activeVersion: 'v1' });
    expect(steps(recorder.events)).toContain('upload:skipped');
    expect(steps(recorder.events)).toContain('restart:skipped');
    expect((await boxFacts(0)).pid).toBe(before.pid);
  });

  it('upgrades by sending only the files that changed, and restarts onto the new release', async () => {
    const v2 = await buildTestRelease(releasesDir, { version: 'v2', files: { 'lib/extra.js': 'console.log(2)\n' } });
    const before = await boxFacts(0);
    const result = await deployToBox({
      pool,
      target: fleet.target(fleet.boxes[0]!),
      release: v2,
      deployId: 'deploy-v2',
    });
    expect(result).toMatchObject({ outcome: 'succeeded', previousVersion: 'v1', activeVersion: 'v2' });
    // VERSION and lib/extra.js are new; bin/chainctl, HEALTH and lib/shared.txt are already in the store.
    expect(result.filesUploaded).toBe(2);
    expect(result.bytesUploaded).toBe('v2\n'.length + 'console.log(2)\n'.length);
    const after = await boxFacts(0);
    expect(after).toMatchObject({ current: 'releases/v2', running: 'v2', releases: 'v1 v2' });
    expect(after.pid).not.toBe(before.pid);
  });

  it('rolls back by itself when the new release fails its health check: the box keeps serving the old one', async () => {
    const broken = await buildTestRelease(releasesDir, { version: 'v3-broken', healthy: false });
    const recorder = collectEvents();
    const result = await deployToBox({
      pool,
      target: fleet.target(fleet.boxes[0]!),
      release: broken,
      deployId: 'deploy-v3',
      recorder,
      health: { attempts: 3, intervalSeconds: 0.2 },
    });
    expect(result).toMatchObject({ outcome: 'rolled_back', previousVersion: 'v2', activeVersion: 'v2' });
    // Its new VERSION and HEALTH were sent (and verified) before its health check failed.
    expect(result).toMatchObject({ filesUploaded: 2, bytesUploaded: 'v3-broken\n'.length + 'broken\n'.length });
    expect(result.error).toEqual({
      failure: 'health_check_failed',
      message: 'Release v3-broken failed its health check on box box-1; rolled back to v2',
    });
    expect(steps(recorder.events)).toEqual(
      expect.arrayContaining(['health:failed', 'rollback:started', 'rollback:succeeded']),
    );
    expect(result.logTail).toContain('health says broken');
    expect(await boxFacts(0)).toMatchObject({ current: 'releases/v2', running: 'v2' });
    const health = await (await pool.connect(fleet.target(fleet.boxes[0]!))).exec(
      sh`/opt/paddock/bin/paddock-service health`,
    );
    expect(JSON.parse(health.stdout)).toEqual({ ok: true, version: 'v2' });
  });

  it('rolls back on demand to a kept release, and refuses one it does not keep', async () => {
    const target = fleet.target(fleet.boxes[0]!);
    const back = await rollbackBox({ pool, target, deployId: 'rollback-1' });
    expect(back).toMatchObject({ outcome: 'succeeded', previousVersion: 'v2', activeVersion: 'v1', version: 'v1' });
    expect(await boxFacts(0)).toMatchObject({ current: 'releases/v1', running: 'v1' });
    const missing = await rollbackBox({ pool, target, deployId: 'rollback-2', toVersion: 'v0' });
    expect(missing.outcome).toBe('failed');
    expect(missing.error?.failure).toBe('release_not_found');
    const forward = await rollbackBox({ pool, target, deployId: 'rollback-3', toVersion: 'v2' });
    expect(forward).toMatchObject({ outcome: 'succeeded', activeVersion: 'v2' });
  });

  it('keeps the last five releases and drops store files no kept release uses', async () => {
    const target = fleet.target(fleet.boxes[0]!);
    for (let n = 4; n <= 9; n++) {
      const release = await buildTestRelease(releasesDir, {
        version: `v${n}`,
        files: { 'lib/big.bin': randomBytes(2048) },
      });
      expect((await deployToBox({ pool, target, release, deployId: `deploy-v${n}` })).outcome).toBe('succeeded');
    }
    const facts = await boxFacts(0);
    expect(facts.releases).toBe('v5 v6 v7 v8 v9');
    // Per release: its own VERSION and big.bin; shared by all: bin/chainctl, HEALTH, SELF_TEST, lib/shared.txt.
    expect(Number(facts.objects)).toBe(5 * 2 + 4);
  });

  it('assembles an upgrade from the running release: drops what it no longer has, copes with a file turned directory', async () => {
    const target = fleet.target(fleet.boxes[0]!);
    const w1 = await buildTestRelease(releasesDir, {
      version: 'w1',
      files: { 'lib/gone/old.js': 'old\n', 'lib/kept.js': 'kept\n' },
    });
    const w2 = await buildTestRelease(releasesDir, {
      version: 'w2',
      files: { 'lib/kept.js': 'kept\n', 'lib/new.js': 'new\n', 'lib/shape': 'a file\n' },
    });
    const w3 = await buildTestRelease(releasesDir, { version: 'w3', files: { 'lib/shape/inner.js': 'inner\n' } });
    expect((await deployToBox({ pool, target, release: w1, deployId: 'deploy-w1' })).outcome).toBe('succeeded');
    const upgraded = await deployToBox({ pool, target, release: w2, deployId: 'deploy-w2' });
    expect(upgraded.outcome).toBe('succeeded');
    expect(upgraded.logTail).not.toContain('assembling from the store alone');
    expect(releaseTree('w2')).toEqual(expectedTree(w2));
    const reshaped = await deployToBox({ pool, target, release: w3, deployId: 'deploy-w3' });
    expect(reshaped.outcome).toBe('succeeded');
    expect(reshaped.logTail).toContain('could not assemble from release w2; assembling from the store alone');
    expect(releaseTree('w3')).toEqual(expectedTree(w3));
    // The running release was only read: its files and manifest are as they were.
    expect(releaseTree('w2')).toEqual(expectedTree(w2));
    expect(JSON.parse(readFileSync(box0Path('/opt/paddock/releases/w2/paddock-release.json'), 'utf8')).version).toBe(
      'w2',
    );
  });
});

describe('deploys under stress', () => {
  it('survives a connection dropped mid-upload: it retries, and every stored byte checks out', async () => {
    const box = fleet.boxes[1]!;
    const payload = randomBytes(24 * 1024 * 1024);
    const release = await buildTestRelease(releasesDir, { version: 'big-1', files: { 'lib/payload.bin': payload } });
    let dropped = 0;
    const result = await deployToBox({
      pool,
      target: fleet.target(box),
      release,
      deployId: 'deploy-big',
      onProgress: (p) => {
        if (p.upload && dropped === 0 && p.upload.bytesSent > p.upload.bytesTotal / 3) {
          dropped = 1;
          void box.dropConnections();
        }
      },
    });
    expect(dropped).toBe(1);
    expect(result).toMatchObject({ outcome: 'succeeded', attempts: 2, activeVersion: 'big-1' });
    expect(result.logTail).toContain('attempt 1 failed');
    const stored = readFileSync(box.pathOnHost('/opt/paddock/releases/big-1/lib/payload.bin'));
    expect(createHash('sha256').update(stored).digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'));
    expect((await boxFacts(1)).incoming).toBe('0');
  });

  it('lets one deploy at a time hold a box: a second is refused, or waits when asked to', async () => {
    const box = fleet.boxes[1]!;
    const slow = await buildTestRelease(releasesDir, {
      version: 'slow-1',
      files: { 'lib/payload.bin': randomBytes(8 * 1024 * 1024) },
    });
    const other = await buildTestRelease(releasesDir, { version: 'other-1' });
    const first = deployToBox({ pool: fleet.pool(), target: fleet.target(box), release: slow, deployId: 'first' });
    // The first deploy holds the lock once it has written itself into the holder file (8 MiB still to upload).
    const holder = box.pathOnHost('/opt/paddock/locks/deploy.holder');
    await vi.waitFor(
      () => expect(existsSync(holder) && readFileSync(holder, 'utf8')).toContain('deploy first of slow-1'),
      {
        timeout: 30_000,
        interval: 20,
      },
    );
    const refused = await deployToBox({
      pool: fleet.pool(),
      target: fleet.target(box),
      release: other,
      deployId: 'second',
    });
    expect(refused.outcome).toBe('failed');
    expect(refused.error?.failure).toBe('deploy_locked');
    expect(refused.error?.message).toContain('deploy first of slow-1');
    const waiting = deployToBox({
      pool: fleet.pool(),
      target: fleet.target(box),
      release: other,
      deployId: 'third',
      lockWaitMs: 30_000,
    });
    expect((await first).outcome).toBe('succeeded');
    const waited = await waiting;
    expect(waited).toMatchObject({ outcome: 'succeeded', previousVersion: 'slow-1', activeVersion: 'other-1' });
    expect((await boxFacts(1)).current).toBe('releases/other-1');
  });

  it('checks a release whose daemon writes no self-test (built before it existed) with chainctl health', async () => {
    const target = fleet.target(fleet.boxes[1]!);
    const legacy = await buildTestRelease(releasesDir, { version: 'legacy-1', selfTest: false });
    const deployed = await deployToBox({ pool, target, release: legacy, deployId: 'legacy-1' });
    expect(deployed).toMatchObject({ outcome: 'succeeded', previousVersion: 'other-1', activeVersion: 'legacy-1' });
    expect(deployed.logTail).toContain('{"ok":true,"version":"legacy-1"}');
    const broken = await buildTestRelease(releasesDir, { version: 'legacy-2', selfTest: false, healthy: false });
    const failed = await deployToBox({
      pool,
      target,
      release: broken,
      deployId: 'legacy-2',
      health: { attempts: 2, intervalSeconds: 0.2 },
    });
    expect(failed).toMatchObject({ outcome: 'rolled_back', activeVersion: 'legacy-1' });
    expect(failed.logTail).toContain('health says broken');
    expect(await boxFacts(1)).toMatchObject({ current: 'releases/legacy-1', running: 'legacy-1' });
  });
});

/** Every file and directory of a release on box 0, with a hash of each file's content. */
function releaseTree(version: string): string[] {
  const root = box0Path(`/opt/paddock/releases/${version}`);
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((path) => path !== 'paddock-release.json' && path !== '.paddock-digest')
    .map((path) => {
      const full = join(root, path);
      return statSync(full).isDirectory() ? `${path}/` : `${path} ${sha256(readFileSync(full))}`;
    })
    .sort();
}

function expectedTree(release: LocalRelease): string[] {
  const dirs = new Set<string>();
  for (const file of release.manifest.files) {
    const parts = file.path.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(`${parts.slice(0, i).join('/')}/`);
  }
  return [...dirs, ...release.manifest.files.map((f) => `${f.path} ${f.sha256}`)].sort();
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function box0Path(path: string): string {
  return fleet.boxes[0]!.pathOnHost(path);
}
