import { createPrismaClient, type PrismaClient } from '@paddock/db';
import { hostKeyAlertKey, recordHostKeyMismatch, resolveAlerts } from '@paddock/services';
import { createTestDatabase, type TestDatabase } from '@paddock/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedBox, seedTenant } from '../collect/support/seed';
import { waitFor } from '../support/wait-for';

// A collector's dial that loaded the box's old pin meets the box's new key while an operator's re-pin of that very
// key is committing. The mismatch must not reopen the alert the re-pin resolves, nor mark the re-pinned box
// unreachable again: the two transactions are serialised on the box row, whichever comes first.

let db: TestDatabase;
let prisma: PrismaClient;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url, { poolMax: 4 });
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
});

const OLD = 'SHA256:old-pin-of-the-box';
const NEW = 'SHA256:the-key-the-box-presents-now';

async function waitersOnLocks(): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
  );
  return rows[0]?.n ?? 0;
}

describe('a host-key mismatch racing an operator re-pin', () => {
  it('raises nothing and leaves the box re-pinned and ready when the re-pin holds the box first', async () => {
    const tenantId = await seedTenant(pool);
    const boxId = await seedBox(pool, tenantId, { hostKey: OLD, address: '127.77.0.9' });
    const mismatch = {
      type: 'host_key.mismatch' as const,
      boxId,
      address: '127.77.0.9:22',
      expected: OLD,
      presented: NEW,
    };
    const collector = { type: 'system' as const, label: 'collector' };
    expect(await recordHostKeyMismatch({ prisma }, mismatch, collector)).toBe(true);

    let second: Promise<boolean> | undefined;
    await prisma.$transaction(async (tx) => {
      // The re-pin's transaction, in its order: the pin moves first, then the alert is resolved.
      await tx.box.update({
        where: { id: boxId },
        data: { hostKeyFingerprint: NEW, hostKeyPendingFingerprint: null, status: 'ready', statusReason: null },
      });
      // Meanwhile the collector's next dial (made with the old pin) reports the same mismatch again.
      const before = await waitersOnLocks();
      second = recordHostKeyMismatch({ prisma }, mismatch, collector);
      await waitFor('the mismatch to wait for the re-pin', async () => (await waitersOnLocks()) > before);
      await resolveAlerts({ prisma: tx }, hostKeyAlertKey(boxId));
    });
    expect(await second).toBe(false);

    const alerts = await prisma.alert.findMany({ where: { dedupeKey: hostKeyAlertKey(boxId) } });
    expect(alerts.map((a) => a.status)).toEqual(['resolved']);
    const box = await prisma.box.findUniqueOrThrow({ where: { id: boxId } });
    expect(box).toMatchObject({ hostKeyFingerprint: NEW, status: 'ready' });
  });
});
