import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createPrismaClient, type PrismaClient } from '@paddock/db';
import { generateSshKeyPair, SshPool, sh } from '@paddock/fleet';
import { handOverLease, DetachedLocalProvider } from '@paddock/providers';
import { pinnedBoxAddresses, recoverLocalBoxes } from '@paddock/services';
import { createTestDatabase, type TestDatabase } from '@paddock/testkit';
import { createVault } from '@paddock/vault';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for';
import { seedSshKey } from '../collect/support/seed';

// Local test boxes live in this machine's memory. A box whose machine "restarted" (its sshd and every process of it
// killed) is brought back by the worker's start-up recovery on the address its row pins, with its own host key; a
// box whose directory is gone too is marked lost; and while a row pins an address, no new box is given it.
let db: TestDatabase;
let prisma: PrismaClient;
let pool: pg.Pool;
let ssh: SshPool;
let provider: DetachedLocalProvider;
const stateDir = `/dev/shm/paddock-health-${process.pid}-${randomBytes(3).toString('hex')}`;
const vault = createVault(randomBytes(32).toString('base64'));
const login = generateSshKeyPair('health recovery login');
let sshKeyId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  ssh = new SshPool({ timeouts: { connectMs: 10_000 } });
  sshKeyId = await seedSshKey(pool, vault, login);
  provider = new DetachedLocalProvider({
    stateDir,
    guardPid: process.pid,
    reservedAddresses: () => pinnedBoxAddresses({ prisma }),
  });
});

afterAll(async () => {
  for (const box of (await provider?.list()) ?? []) await provider.destroy(box.providerId);
  await ssh?.close(2_000);
  await pool?.end();
  await prisma?.$disconnect();
  await db?.drop();
  rmSync(stateDir, { recursive: true, force: true });
});

async function boxWithRow(name: string) {
  const hostKey = generateSshKeyPair(`${name} host key`);
  const made = await provider.create({ name, hostKey, loginPublicKey: login.publicKey });
  const row = await prisma.box.create({
    data: {
      provider: 'local',
      providerId: name,
      status: 'ready',
      address: made.host,
      hostKeyFingerprint: hostKey.fingerprint,
      sshKeyId,
    },
  });
  return { row, address: made.host as string, fingerprint: hostKey.fingerprint };
}

/** What a machine restart does to a box: every process of it ends at once. */
async function killBox(name: string): Promise<void> {
  const record = JSON.parse(readFileSync(join(stateDir, name, 'box.json'), 'utf8')) as { initPid: number };
  process.kill(record.initPid, 'SIGKILL');
  await waitFor(`${name} to be gone`, async () => (await provider.status(name)).status === 'gone');
}

describe('local test boxes after the machine restarts', () => {
  it('keeps pinned addresses from new boxes, brings listed boxes back, and marks lost ones', async () => {
    const a = await boxWithRow('hl-a');
    const c = await boxWithRow('hl-c');
    // Other test processes on this machine lease addresses without our database: this one stays held by the test
    // while its box is down, so none of them takes it before the recovery does (hl-c's lease goes stale as in a
    // real restart, and only the row's pin keeps it from the new box below).
    handOverLease(a.address, process.pid);
    await killBox('hl-a');
    await killBox('hl-c');
    rmSync(join(stateDir, 'hl-c'), { recursive: true, force: true }); // its tmpfs did not survive

    // Both leases are stale now, but the rows still pin the addresses: a new box gets neither.
    const pinned = await pinnedBoxAddresses({ prisma });
    expect(pinned).toContain(a.address);
    expect(pinned).toContain(c.address);
    const b = await provider.create({
      name: 'hl-b',
      hostKey: generateSshKeyPair('hl-b host key'),
      loginPublicKey: login.publicKey,
    });
    expect(b.host).not.toBe(a.address);
    expect(b.host).not.toBe(c.address);

    const warnings: string[] = [];
    const recovered = await recoverLocalBoxes({
      prisma,
      pg: pool,
      vault,
      ssh,
      provider,
      log: {
        info: () => {},
        warn: (f, message) => warnings.push(`${message}: ${String((f as { err?: Error }).err?.message)}`),
      },
    });
    expect(recovered.revived, warnings.join('\n')).toEqual([a.row.id]);
    expect(recovered.lost).toEqual([c.row.id]);

    // hl-a is back on its own address with its own host key: a pinned connection reaches it.
    const back = await provider.status('hl-a');
    expect(back).toMatchObject({ status: 'running', host: a.address, hostKeyFingerprint: a.fingerprint });
    const connection = await ssh.connect({
      id: a.row.id,
      host: a.address,
      port: 22,
      username: 'root',
      privateKey: login.privateKey,
      hostKey: { kind: 'pinned', fingerprint: a.fingerprint },
    });
    expect((await connection.exec(sh`echo back`)).stdout).toBe('back\n');
    expect(await prisma.auditLog.count({ where: { targetId: a.row.id, action: 'box.revived' } })).toBe(1);

    // hl-c is lost: destroyed with the reason, one critical alert, audited, and its address no longer pinned.
    const lost = await prisma.box.findUniqueOrThrow({ where: { id: c.row.id } });
    expect(lost.status).toBe('destroyed');
    expect(lost.statusReason).toMatch(/lost/);
    const alerts = await prisma.alert.findMany({ where: { boxId: c.row.id } });
    expect(alerts).toMatchObject([{ code: 'box_lost', severity: 'critical', status: 'open' }]);
    expect(await prisma.auditLog.count({ where: { targetId: c.row.id, action: 'box.lost' } })).toBe(1);
    expect(await pinnedBoxAddresses({ prisma })).not.toContain(c.address);

    // A second run (another worker starting) changes nothing.
    const again = await recoverLocalBoxes({
      prisma,
      pg: pool,
      vault,
      ssh,
      provider,
      log: { info: () => {}, warn: () => {} },
    });
    expect(again).toEqual({ running: [a.row.id], revived: [], lost: [] });
  });
});
