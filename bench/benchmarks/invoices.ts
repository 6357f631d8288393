import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createPrismaClient } from '@paddock/db';
import { closeQueues, createQueues, enqueueJob, createPrismaJobRecords } from '@paddock/jobs';
import { connectTestRedis, createMigratedDatabase, readTestEnv, uniqueQueuePrefix } from '@paddock/testkit';
import { spawnApp } from '../../test/support/spawn-app';
import { defineBenchmark, type Figure } from '../harness';
import { resetInvoices, seedForInvoices } from '../invoices/seed-invoices';

// `npm run bench -- invoices --quick`: a hundredth of the size, to try the harness.
const QUICK = process.argv.includes('--quick');
const TENANTS = QUICK ? 100 : 10_000;
const EVENTS = QUICK ? 100_000 : 10_000_000;
const RUNS = 3;
const PERIOD = '2026-11';

/** A live process's resident set (`VmRSS`) or its peak so far (`VmHWM`), in MB. */
function rssMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/**
 * The monthly close at the scale: 10,000 tenants and 10,000,000 usage events of one month, closed by one
 * real worker process (the catalog job, as the schedule runs it). Timed from outside (enqueue to the job record's
 * success) with the worker's peak RSS; each run starts from no invoices on the same usage.
 */
export default defineBenchmark({
  name: 'invoices',
  description: `monthly close of ${TENANTS} tenants and ${EVENTS} usage events by one worker: wall time and peak RSS`,
  async run(log) {
    const db = await createMigratedDatabase();
    const redis = connectTestRedis();
    const prefix = uniqueQueuePrefix();
    const queues = createQueues(redis, prefix);
    const prisma = createPrismaClient(db.url, { poolMax: 2 });
    try {
      const seeded = performance.now();
      await seedForInvoices(db.adminUrl, { tenants: TENANTS, events: EVENTS, period: PERIOD }, log);
      log(`seeded in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);
      const walls: number[] = [];
      const rss: number[] = [];
      const idle: number[] = [];
      for (let run = 1; run <= RUNS; run++) {
        await resetInvoices(db.adminUrl);
        const worker = spawnApp('apps/worker/src/main.ts', {
          DATABASE_URL: db.url,
          REDIS_URL: readTestEnv().REDIS_URL,
          QUEUE_PREFIX: prefix,
          PADDOCK_MASTER_KEY: randomBytes(32).toString('base64'),
          WORKER_ID: `bench-invoices-${run}`,
          RELEASE_AUTO_PUBLISH: 'false',
          COLLECTOR: 'false',
          SCHEDULES: 'false',
          LOG_LEVEL: 'info',
        });
        try {
          await worker.waitForLog('worker ready', 120_000);
          const pid = worker.child.pid ?? 0;
          // What the worker costs before the close: its resident set once ready (start-up peaks are in VmHWM).
          idle.push(rssMb(pid, 'VmRSS'));
          log(`ready: RSS ${rssMb(pid, 'VmRSS').toFixed(0)} MB, peak so far ${rssMb(pid, 'VmHWM').toFixed(0)} MB`);
          const started = performance.now();
          const { recordId } = await enqueueJob(
            { queues, records: createPrismaJobRecords(prisma) },
            'invoices.close-month',
            { period: PERIOD },
            { jobId: `bench-close-${run}-${randomBytes(4).toString('hex')}` },
          );
          for (;;) {
            const record = await prisma.jobRecord.findUniqueOrThrow({ where: { id: recordId } });
            if (record.status === 'succeeded') break;
            if (record.status === 'failed' || record.status === 'retrying') {
              throw new Error(`close failed: ${record.error}`);
            }
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          const wall = (performance.now() - started) / 1000;
          const peak = rssMb(pid, 'VmHWM');
          const count = await prisma.invoice.count();
          const counter = await prisma.invoiceNumberCounter.findUniqueOrThrow({ where: { series: 'PDK-2026' } });
          if (count !== TENANTS || counter.nextNumber !== BigInt(TENANTS + 1)) {
            throw new Error(
              `expected ${TENANTS} invoices numbered 1..${TENANTS}, got ${count} (next ${counter.nextNumber})`,
            );
          }
          log(
            `run ${run}: close ${wall.toFixed(1)} s, worker peak RSS ${peak.toFixed(0)} MB ` +
              `(idle ${idle.at(-1)?.toFixed(0)} MB), ${count} invoices`,
          );
          walls.push(wall);
          rss.push(peak);
        } finally {
          await worker.stop();
        }
      }
      const sorted = [...walls].sort((a, b) => a - b);
      const figures: Figure[] = [
        {
          name: 'close wall, median',
          value: sorted[Math.floor(sorted.length / 2)] ?? 0,
          unit: 's',
          target: { op: '<', value: 60 },
        },
        { name: 'close wall, slowest', value: sorted.at(-1) ?? 0, unit: 's' },
        { name: 'close wall, spread (slowest - fastest)', value: (sorted.at(-1) ?? 0) - (sorted[0] ?? 0), unit: 's' },
        { name: 'worker peak RSS, largest', value: Math.max(...rss), unit: 'MB', target: { op: '<', value: 300 } },
        { name: 'worker idle RSS (ready, before the close), largest', value: Math.max(...idle), unit: 'MB' },
      ];
      return figures;
    } finally {
      await prisma.$disconnect();
      await closeQueues(queues);
      redis.disconnect();
      await db.drop();
    }
  },
});
