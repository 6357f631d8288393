import { createPrismaClient } from '@paddock/db';
import { evaluateMonitoringRound, type RoundResult } from '@paddock/services';
import { createMigratedDatabase } from '@paddock/testkit';
import { defineBenchmark, type Figure } from '../harness';
import { addRecentRuns, seedForMonitoring } from '../monitoring/seed-monitoring';

// `npm run bench -- monitoring --quick`: a hundredth of the tenants, to try the harness.
const QUICK = process.argv.includes('--quick');
const TENANTS = QUICK ? 100 : 10_000;
const DAYS = 30;
const RUNS_PER_DAY = 4;
/** Tenants with a new run between incremental rounds. */
const CHANGED = QUICK ? 5 : 100;

/**
 * Every detector over 10,000 tenants with 30 days of history: a first round (no watermark: every chain and model is
 * judged), then incremental rounds after a few tenants ran something and after nothing happened. Wall time and the
 * time spent waiting on PostgreSQL (the round's own measure) per round.
 */
export default defineBenchmark({
  name: 'monitoring',
  description: `monitoring rounds over ${TENANTS} tenants x ${DAYS} days (${RUNS_PER_DAY} runs a day): wall and DB time, full and incremental`,
  async run(log) {
    const db = await createMigratedDatabase();
    const prisma = createPrismaClient(db.url, { poolMax: 2 });
    try {
      const seeded = performance.now();
      await seedForMonitoring(db.adminUrl, { tenants: TENANTS, days: DAYS, runsPerDay: RUNS_PER_DAY }, log);
      log(`seeded in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);
      const round = async (label: string): Promise<{ wall: number; result: RoundResult }> => {
        const started = performance.now();
        const result = await evaluateMonitoringRound({ prisma });
        const wall = (performance.now() - started) / 1000;
        log(
          `${label}: ${wall.toFixed(2)} s wall, ${(result.dbMs / 1000).toFixed(2)} s DB, ${result.chains} chains, ` +
            `${result.models} models, ${result.findings} findings, ${result.opened} opened`,
        );
        return { wall, result };
      };
      const full = await round('full round');
      // Past the watermark's overlap, so the increment is what changed, not the overlap's re-read.
      await prisma.$executeRaw`UPDATE monitoring_watermarks SET evaluated_through = now() + interval '3 minutes'`;
      await addRecentRuns(db.adminUrl, CHANGED);
      await prisma.$executeRaw`UPDATE runs SET updated_at = now() + interval '4 minutes' WHERE finished_at > now() - interval '1 minute'`;
      await prisma.$executeRaw`UPDATE run_steps SET updated_at = now() + interval '4 minutes' WHERE finished_at > now() - interval '1 minute'`;
      const incremental = await round(`incremental round (${CHANGED} tenants ran)`);
      // Nothing new, but the rows of the round before are still inside the watermark's 2-minute overlap: re-read.
      const idle = await round('incremental round (nothing new; the overlap re-read)');
      const figures: Figure[] = [
        { name: 'full round wall', value: full.wall, unit: 's' },
        { name: 'full round DB time', value: full.result.dbMs / 1000, unit: 's' },
        { name: 'incremental round wall', value: incremental.wall, unit: 's', target: { op: '<', value: 10 } },
        { name: 'incremental round DB time', value: incremental.result.dbMs / 1000, unit: 's' },
        { name: 'incremental round chains judged', value: incremental.result.chains, unit: 'chains' },
        { name: 'idle round wall', value: idle.wall, unit: 's' },
      ];
      return figures;
    } finally {
      await prisma.$disconnect();
      await db.drop();
    }
  },
});
