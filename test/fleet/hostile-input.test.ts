import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bootstrapBox,
  buildReleaseFromDirectory,
  DEFAULT_BOX_LAYOUT,
  deployToBox,
  FleetError,
  pushSecrets,
  rollbackBox,
  type SshPool,
  sh,
} from '@paddock/fleet';
import { parseEnvFile } from '@paddock/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSTILE_STRINGS, MARKER } from './support/hostile-strings';
import { collectEvents, createTestFleet, type TestFleet } from './support/test-boxes';
import { buildTestRelease } from './support/test-release';

let fleet: TestFleet;
let pool: SshPool;
let releasesDir: string;

beforeAll(async () => {
  fleet = await createTestFleet(1);
  pool = fleet.pool();
  releasesDir = mkdtempSync(join(tmpdir(), 'paddock-hostile-'));
  await bootstrapBox({ pool, target: fleet.target(fleet.boxes[0]!) });
});

afterAll(async () => {
  await fleet?.destroy();
  if (releasesDir) rmSync(releasesDir, { recursive: true, force: true });
});

function markerOnBox(): boolean {
  return existsSync(fleet.boxes[0]!.pathOnHost(MARKER));
}

describe('operator-provided strings with shell metacharacters', () => {
  it('refuses them as deploy ids, versions, layout paths and user names before anything runs', async () => {
    const release = await buildTestRelease(releasesDir, { version: 'h1' });
    const target = fleet.target(fleet.boxes[0]!);
    for (const value of HOSTILE_STRINGS) {
      await expect(deployToBox({ pool, target, release, deployId: value })).rejects.toThrow(FleetError);
      await expect(rollbackBox({ pool, target, deployId: value })).rejects.toThrow(FleetError);
      await expect(buildReleaseFromDirectory(release.root, { version: value, writeManifest: false })).rejects.toThrow(
        FleetError,
      );
      // `/opt/-rf` is an odd but harmless directory name: paths are always absolute, so it cannot read as an option.
      if (value !== '-rf') {
        await expect(
          bootstrapBox({ pool, target, layout: { ...DEFAULT_BOX_LAYOUT, installDir: `/opt/${value}` } }),
        ).rejects.toThrow(FleetError);
      }
      await expect(
        bootstrapBox({ pool, target, layout: { ...DEFAULT_BOX_LAYOUT, runtimeUser: value } }),
      ).rejects.toThrow(FleetError);
    }
    expect(markerOnBox()).toBe(false);
  });

  it('carries them safely as box names and rollback targets', async () => {
    const release = await buildTestRelease(releasesDir, { version: 'h2' });
    for (const [i, value] of HOSTILE_STRINGS.slice(0, 6).entries()) {
      const target = { ...fleet.target(fleet.boxes[0]!), id: value };
      const result = await deployToBox({ pool, target, release, deployId: `named-${i}` });
      expect(result.error).toBeUndefined();
      expect(result.outcome).toMatch(/succeeded|unchanged/);
      expect(result.boxId).toBe(value);
      const rollback = await rollbackBox({ pool, target, deployId: `rb-${i}`, toVersion: value });
      expect(rollback.error?.failure).toBe('release_not_found');
    }
    expect(markerOnBox()).toBe(false);
  });
});

describe('secrets', () => {
  it('writes exactly the given values to a 0600 file of the runtime user, records names only', async () => {
    const recorder = collectEvents();
    const secrets: Record<string, string> = { PLAIN: 'abc', EMPTY: '' };
    HOSTILE_STRINGS.filter((v) => !v.includes('\n')).forEach((value, i) => {
      secrets[`HOSTILE_${i}`] = value;
    });
    const box = fleet.boxes[0]!;
    await pushSecrets({ pool, target: fleet.target(box), secrets, recorder });
    const file = box.pathOnHost('/var/lib/paddock/secrets.env');
    const info = statSync(file);
    expect(info.mode & 0o777).toBe(0o600);
    const owner = await (await pool.connect(fleet.target(box))).exec(sh`stat -c %U /var/lib/paddock/secrets.env`);
    expect(owner.stdout.trim()).toBe('paddock');
    // The runtime's own parser reads back every value unchanged.
    expect(parseEnvFile(readFileSync(file, 'utf8'))).toEqual(secrets);
    expect(recorder.events).toEqual([{ type: 'secrets.pushed', boxId: box.id, names: Object.keys(secrets).sort() }]);
    expect(JSON.stringify(recorder.events)).not.toContain('abc');
    expect(markerOnBox()).toBe(false);
    // No temporary file is left beside it.
    const listing = await (await pool.connect(fleet.target(box))).exec(sh`ls -A /var/lib/paddock`);
    expect(listing.stdout.split('\n').filter((n) => n.startsWith('secrets'))).toEqual(['secrets.env']);
  });

  it('refuses values it cannot carry and bad names, without touching the file or echoing the value', async () => {
    const box = fleet.boxes[0]!;
    const before = readFileSync(box.pathOnHost('/var/lib/paddock/secrets.env'), 'utf8');
    const multiline = pushSecrets({ pool, target: fleet.target(box), secrets: { KEY: 'top-secret\nsecond line' } });
    await expect(multiline).rejects.toThrow('Secret KEY holds a line break or NUL byte');
    await expect(multiline).rejects.not.toThrow(/top-secret/);
    await expect(pushSecrets({ pool, target: fleet.target(box), secrets: { 'BAD NAME': 'x' } })).rejects.toThrow(
      FleetError,
    );
    await expect(pushSecrets({ pool, target: fleet.target(box), secrets: { '$(id)': 'x' } })).rejects.toThrow(
      FleetError,
    );
    expect(readFileSync(box.pathOnHost('/var/lib/paddock/secrets.env'), 'utf8')).toBe(before);
  });
});
