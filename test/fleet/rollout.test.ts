import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrapBox, type FleetEvent, rolloutRelease, type SshPool, sh } from '@paddock/fleet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectEvents, createTestFleet, type TestFleet } from './support/test-boxes';
import { buildTestRelease } from './support/test-release';

let fleet: TestFleet;
let pool: SshPool;
let releasesDir: string;

beforeAll(async () => {
  fleet = await createTestFleet(6);
  pool = fleet.pool();
  releasesDir = mkdtempSync(join(tmpdir(), 'paddock-rollout-'));
  await Promise.all(fleet.boxes.map((box) => bootstrapBox({ pool, target: fleet.target(box) })));
});

afterAll(async () => {
  await fleet?.destroy();
  if (releasesDir) rmSync(releasesDir, { recursive: true, force: true });
});

async function currentVersions(): Promise<string[]> {
  return Promise.all(
    fleet.boxes.map(async (box) => {
      const out = await (await pool.connect(fleet.target(box))).exec(sh`readlink /opt/paddock/current || true`);
      return out.stdout.trim().replace('releases/', '');
    }),
  );
}

describe('fleet rollout', () => {
  it('deploys to every box, canary first, never more at once than allowed, reporting each box', async () => {
    // Big enough (over 8 MB) for paced uploads, which run the install in a second exec after the upload.
    const release = await buildTestRelease(releasesDir, {
      version: 'r1',
      files: { 'lib/payload.bin': randomBytes(9 * 1024 * 1024) },
    });
    const recorder = collectEvents();
    let inFlight = 0;
    let maxInFlight = 0;
    const started = new Set<string>();
    const order: string[] = [];
    const result = await rolloutRelease({
      pool,
      release,
      targets: fleet.boxes.map((b) => fleet.target(b)),
      rolloutId: 'roll-1',
      recorder,
      concurrency: 3,
      canarySize: 1,
      onProgress: (p) => {
        if (!started.has(p.boxId)) {
          started.add(p.boxId);
          order.push(p.boxId);
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
        }
      },
      onBoxFinished: () => inFlight--,
    });
    expect(result.stopped).toBeNull();
    expect(result.skipped).toEqual([]);
    expect(result.results.map((r) => r.outcome)).toEqual(Array(6).fill('succeeded'));
    expect(maxInFlight).toBe(3);
    expect(order[0]).toBe('box-1');
    const progress = recorder.events.filter(
      (e): e is Extract<FleetEvent, { type: 'rollout.progress' }> => e.type === 'rollout.progress',
    );
    expect(progress.map((p) => `${p.phase}:${p.done}/${p.total}`)).toEqual([
      'canary:1/6',
      'fleet:2/6',
      'fleet:3/6',
      'fleet:4/6',
      'fleet:5/6',
      'fleet:6/6',
    ]);
    // Each box has its own deploy row: started, steps, finished.
    for (const box of fleet.boxes) {
      const steps = recorder.events.flatMap((e) =>
        e.type === 'deploy.step' && e.boxId === box.id ? [`${e.step}:${e.status}`] : [],
      );
      expect(steps.slice(2, 6)).toEqual(['upload:started', 'upload:succeeded', 'verify:started', 'verify:succeeded']);
    }
    const finished = recorder.events.filter((e) => e.type === 'deploy.finished');
    expect(new Set(finished.map((e) => e.type === 'deploy.finished' && e.deployId))).toEqual(
      new Set(['roll-1-0', 'roll-1-1', 'roll-1-2', 'roll-1-3', 'roll-1-4', 'roll-1-5']),
    );
    expect(await currentVersions()).toEqual(Array(6).fill('r1'));
  });

  it('stops after a failing canary and leaves the other boxes untouched', async () => {
    const broken = await buildTestRelease(releasesDir, { version: 'r2-broken', healthy: false });
    const recorder = collectEvents();
    const result = await rolloutRelease({
      pool,
      release: broken,
      targets: fleet.boxes.map((b) => fleet.target(b)),
      rolloutId: 'roll-2',
      recorder,
      canarySize: 1,
      perBox: { health: { attempts: 2, intervalSeconds: 0.2 } },
    });
    expect(result.results).toHaveLength(1);
    expect(result.results[0]?.outcome).toBe('rolled_back');
    expect(result.stopped?.reason).toBe('canary failed on 1 of 1 box(es)');
    expect(result.skipped).toEqual(['box-2', 'box-3', 'box-4', 'box-5', 'box-6']);
    expect(recorder.events.at(-1)).toEqual({
      type: 'rollout.stopped',
      rolloutId: 'roll-2',
      version: 'r2-broken',
      reason: 'canary failed on 1 of 1 box(es)',
    });
    expect(await currentVersions()).toEqual(Array(6).fill('r1'));
  });

  it('stops launching deploys once the failure rate passes the threshold', async () => {
    // Boxes 2 and 3 lose their deploy directories: deploys there fail as "not bootstrapped".
    for (const box of fleet.boxes.slice(1, 3)) {
      await (await pool.connect(fleet.target(box))).exec(sh`rm -rf /opt/paddock/locks`);
    }
    const release = await buildTestRelease(releasesDir, { version: 'r3' });
    const result = await rolloutRelease({
      pool,
      release,
      targets: fleet.boxes.map((b) => fleet.target(b)),
      rolloutId: 'roll-3',
      canarySize: 0,
      concurrency: 1,
      maxFailureRate: 0.4,
      minSampleForStop: 2,
    });
    expect(result.results.map((r) => `${r.boxId}:${r.outcome}`)).toEqual(['box-1:succeeded', 'box-2:failed']);
    expect(result.results[1]?.error?.failure).toBe('not_bootstrapped');
    expect(result.stopped?.reason).toBe('failure rate 1/2 is above 0.4');
    expect(result.skipped).toEqual(['box-3', 'box-4', 'box-5', 'box-6']);
    await Promise.all(fleet.boxes.slice(1, 3).map((box) => bootstrapBox({ pool, target: fleet.target(box) })));
  });
});
