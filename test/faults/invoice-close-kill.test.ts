import { randomBytes } from 'node:crypto';
import { createPrismaClient, type PrismaClient } from '@paddock/db';
import { closeQueues, createPrismaJobRecords, createQueues, enqueueJob, type Queues } from '@paddock/jobs';
import {
  connectTestRedis,
  createTestDatabase,
  readTestEnv,
  type TestDatabase,
  uniqueQueuePrefix,
} from '@paddock/testkit';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedForInvoices } from '../../bench/invoices/seed-invoices';
import { type AppProcess, spawnApp } from '../support/spawn-app';
import { waitFor } from '../support/wait-for';

// A worker SIGKILLed in the middle of the monthly close (some pages of invoices committed, one being written),
// then another worker taking the job over: the rerun makes exactly one invoice per tenant, numbered without a gap or
// a repeat, none half written. Many small pages so the kill lands between the first commit and the last.
const TENANTS = 3_000;
const PERIOD = '2026-10';

let db: TestDatabase;
let prisma: PrismaClient;
let redis: Redis;
let queues: Queues;
let prefix: string;
const workers: AppProcess[] = [];
const masterKey = randomBytes(32).toString('base64');

function startWorker(id: string): AppProcess {
  const worker = spawnApp('apps/worker/src/main.ts', {
    DATABASE_URL: db.url,
    REDIS_URL: readTestEnv().REDIS_URL,
    QUEUE_PREFIX: prefix,
    PADDOCK_MASTER_KEY: masterKey,
    WORKER_ID: id,
    RELEASE_AUTO_PUBLISH: 'false',
    COLLECTOR: 'false',
    SCHEDULES: 'false',
    LOCK_DURATION_MS: '5000',
    STALLED_INTERVAL_MS: '2000',
    LOG_LEVEL: 'info',
  });
  workers.push(worker);
  return worker;
}

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url, { poolMax: 2 });
  redis = connectTestRedis();
  prefix = uniqueQueuePrefix();
  queues = createQueues(redis, prefix);
  await seedForInvoices(db.adminUrl, { tenants: TENANTS, events: TENANTS * 5, period: PERIOD }, () => undefined);
}, 120_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop('SIGKILL')));
  await closeQueues(queues);
  redis?.disconnect();
  await prisma?.$disconnect();
  await db?.drop();
});

describe('the monthly close with its worker killed mid-way', () => {
  it('makes exactly one invoice per tenant with gap-free numbers once another worker reruns it', async () => {
    const doomed = startWorker('close-doomed');
    await doomed.waitForLog('worker ready', 120_000);
    const { recordId } = await enqueueJob(
      { queues, records: createPrismaJobRecords(prisma) },
      'invoices.close-month',
      { period: PERIOD },
      { jobId: `close-kill-${randomBytes(4).toString('hex')}` },
    );
    const before = await waitFor(
      'the first pages of invoices committed',
      async () => {
        const count = await prisma.invoice.count();
        return count > 0 ? count : undefined;
      },
      120_000,
      5,
    );
    doomed.child.kill('SIGKILL');
    await doomed.stop();
    const atKill = await prisma.invoice.count();
    console.info(`killed with ${before}..${atKill} of ${TENANTS} invoices committed`);
    expect(atKill).toBeLessThan(TENANTS); // the kill landed mid-close

    const heir = startWorker('close-heir');
    await heir.waitForLog('worker ready', 120_000);
    const record = await waitFor(
      'the close to succeed on the heir',
      async () => {
        const row = await prisma.jobRecord.findUniqueOrThrow({ where: { id: recordId } });
        return row.status === 'succeeded' ? row : undefined;
      },
      360_000,
    );
    expect(record.workerId).toBe('close-heir');
    console.info(`the heir finished the close at attempt ${record.attempts}`);

    // One invoice per tenant, numbered 1..N once each, the counter just past the last.
    const perTenant = await prisma.$queryRaw<Array<{ tenants: bigint; invoices: bigint }>>`
      SELECT count(DISTINCT tenant_id) AS tenants, count(*) AS invoices FROM invoices`;
    expect(perTenant).toEqual([{ tenants: BigInt(TENANTS), invoices: BigInt(TENANTS) }]);
    const numbers = (await prisma.invoice.findMany({ select: { number: true } })).map((i) => i.number).sort();
    expect(numbers).toEqual(Array.from({ length: TENANTS }, (_, i) => `PDK-2026-${String(i + 1).padStart(6, '0')}`));
    const counter = await prisma.invoiceNumberCounter.findUniqueOrThrow({ where: { series: 'PDK-2026' } });
    expect(counter.nextNumber).toBe(BigInt(TENANTS + 1));
    // None half written: every invoice has its lines, and its subtotal is their sum.
    const broken = await prisma.$queryRaw<Array<{ id: string }>>`
      SELECT i.id::text AS id FROM invoices i
       WHERE NOT EXISTS (SELECT 1 FROM invoice_lines l WHERE l.invoice_id = i.id)
          OR i.subtotal_minor <> (SELECT sum(l.amount_minor) FROM invoice_lines l WHERE l.invoice_id = i.id)`;
    expect(broken).toEqual([]);
  }, 600_000);
});
