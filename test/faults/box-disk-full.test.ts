import { randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { loadBoxTarget } from '@paddock/services';
import { sh } from '@paddock/fleet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployReleaseStep } from '@paddock/services';
import { type DeployStepBox, startDeployStepBox } from '../fleet/support/deploy-step-box';

// A box whose disk is full where deploys land (a small tmpfs over the upload area, mounted inside the box's own
// mount namespace: nothing of this machine fills up): the deploy fails with a clear error, recorded as failed in
// Postgres, and the box goes on running the release it had; with space again, the same step deploys.
let s: DeployStepBox;
let first: string;
let second: string;

async function onBox(command: ReturnType<typeof sh>) {
  const connection = await s.deps.ssh.connect(await loadBoxTarget({ pg: s.deps.pg, vault: s.deps.vault }, s.boxId));
  return connection.exec(command);
}

beforeAll(async () => {
  s = await startDeployStepBox('disk-full');
  first = await s.publish({ version: 'disk-1' });
}, 120_000);

afterAll(async () => {
  await onBox(sh`umount /opt/paddock/incoming`).catch(() => undefined);
  await s?.close();
});

describe('a deploy to a box whose disk is full', () => {
  it('fails clearly, leaves the previous release running, and succeeds once there is space', async () => {
    const { t, boxId, deps } = s;
    expect((await deployReleaseStep(deps, s.stepContext())).outcome).toBe('succeeded');
    await onBox(sh`mount -t tmpfs -o size=512k,mode=700 paddock-full /opt/paddock/incoming`);
    // 2 MiB that do not compress: more than the upload area holds.
    second = await s.publish({ version: 'disk-2', files: { 'lib/payload.bin': randomBytes(2 * 1024 * 1024) } });

    await expect(deployReleaseStep(deps, s.stepContext())).rejects.toThrow(/Deploy of release disk-2 .* failed/);
    const failed = await t.prisma.deploy.findFirstOrThrow({ where: { boxId, releaseId: second } });
    expect(failed.status).toBe('failed');
    expect(`${failed.error}\n${failed.logTail}`).toMatch(
      /not enough disk space on the box: the release needs \d+ KiB in \/opt\/paddock\/incoming\/[0-9a-f-]+, \d+ KiB free/,
    );
    // The box runs what it ran: its link, its daemon's version, and its row.
    expect(readlinkSync(s.box.pathOnHost('/opt/paddock/current'))).toContain('disk-1');
    expect(readFileSync(s.box.pathOnHost('/var/lib/paddock/daemon.version'), 'utf8').trim()).toBe('disk-1');
    expect((await onBox(sh`/opt/paddock/bin/paddock-service health`)).exitCode).toBe(0);
    expect(await t.prisma.box.findUniqueOrThrow({ where: { id: boxId } })).toMatchObject({ currentReleaseId: first });
    expect(await t.prisma.boxLock.count({ where: { boxId } })).toBe(0);

    await onBox(sh`umount /opt/paddock/incoming`);
    expect((await deployReleaseStep(deps, s.stepContext(2))).outcome).toBe('succeeded');
    expect(readlinkSync(s.box.pathOnHost('/opt/paddock/current'))).toContain('disk-2');
    expect(await t.prisma.box.findUniqueOrThrow({ where: { id: boxId } })).toMatchObject({ currentReleaseId: second });
  });
});
