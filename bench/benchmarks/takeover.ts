import { createMigratedDatabase } from '@paddock/testkit';
import { pollUntil } from '../poll';
import { startLifecycleEnv } from '../../test/lifecycle/support/lifecycle-env';
import { defineBenchmark, type Figure } from '../harness';
import { summarise } from '../takeover/summarise';

const ROUNDS = 3;

/**
 * How long a SIGKILLed worker's work waits for another worker, with the worker's production timings (no test
 * overrides): the BullMQ job lock and stalled check for a provisioning step killed while it runs (`bootstrap`, or the
 * step after it on a slow machine), and the collector lease for the box the dead worker was streaming. The clock
 * starts at the kill; the job is taken over when its record says another worker runs it, the box when
 * `collector_cursors` names another owner. The other worker is already running (its start-up is reported apart: a
 * supervisor restarting the killed worker adds it).
 */
export default defineBenchmark({
  name: 'takeover',
  description: 'a SIGKILLed worker: time until its provisioning job and its box collection are taken over',
  async run(log) {
    const env = await startLifecycleEnv({ database: await createMigratedDatabase() });
    const jobTakeover: number[] = [];
    const signupWall: number[] = [];
    const leaseTakeover: number[] = [];
    const heirStart: number[] = [];
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        // Two workers up before the signup: whichever runs the step is killed, the other takes it over (its start-up
        // is not part of the takeover; a supervisor restarting the killed worker would add it).
        const ids = [`takeover-${round}-a`, `takeover-${round}-b`];
        const startedAt = Date.now();
        const pair = new Map([
          [ids[0] ?? '', await env.startWorker(ids[0] ?? '', {}, { productionTimings: true })],
          [ids[1] ?? '', await env.startWorker(ids[1] ?? '', {}, { productionTimings: true })],
        ]);
        heirStart.push((Date.now() - startedAt) / 2_000);
        const signup = await env.signUp(`takeover-${round}`);
        const step = await pollUntil(
          'a provisioning step from bootstrap on to run',
          async () => {
            const wf = await env.prisma.workflow.findUniqueOrThrow({ where: { id: signup.workflowId } });
            if (!['bootstrap', 'deploy'].includes(wf.currentStep ?? '')) return undefined;
            const record = await env.prisma.jobRecord.findFirst({
              where: { jobId: { startsWith: `wf-${signup.workflowId}-` }, status: 'running' },
              orderBy: { createdAt: 'desc' },
            });
            return record ?? undefined;
          },
          300_000,
        );
        const victimId = step.workerId ?? '';
        const heirId = ids.find((id) => id !== victimId) ?? '';
        const heir = pair.get(heirId);
        if (!heir) throw new Error(`step run by an unknown worker ${victimId}`);
        await pair.get(victimId)?.stop('SIGKILL');
        const killedAt = Date.now();
        await pollUntil(
          'the step to be taken over',
          async () => {
            const record = await env.prisma.jobRecord.findUniqueOrThrow({ where: { id: step.id } });
            return record.workerId === heirId;
          },
          300_000,
        );
        jobTakeover.push((Date.now() - killedAt) / 1000);
        await env.waitForTenant(signup.tenantId, 'active', 300_000);
        signupWall.push((Date.now() - signup.startedAt) / 1000);
        log(
          `round ${round}: provisioning step (${step.jobId}) taken over ${jobTakeover.at(-1)?.toFixed(1)} s after the kill; signup to active ${signupWall.at(-1)?.toFixed(1)} s`,
        );

        // The box's collection: a second live worker, the box held by one of the two, that one killed.
        const other = await env.startWorker(`takeover-${round}-c`, {}, { productionTimings: true });
        const box = await env.prisma.box.findFirstOrThrow({ where: { tenantId: signup.tenantId } });
        const holder = await pollUntil(
          'the box to be collected',
          async () => {
            const rows = await env.prisma.$queryRaw<{ owner_id: string | null }[]>`
              SELECT owner_id FROM collector_cursors WHERE box_id = ${box.id}::uuid AND lease_expires_at > now()`;
            return rows[0]?.owner_id ?? undefined;
          },
          300_000,
        );
        const [victim, survivor] = holder === heirId ? [heir, other] : [other, heir];
        await victim.stop('SIGKILL');
        const leaseKilledAt = Date.now();
        await pollUntil(
          'the box to be collected by the survivor',
          async () => {
            const rows = await env.prisma.$queryRaw<{ owner_id: string | null }[]>`
              SELECT owner_id FROM collector_cursors WHERE box_id = ${box.id}::uuid AND lease_expires_at > now()`;
            const owner = rows[0]?.owner_id;
            return owner !== undefined && owner !== null && owner !== holder;
          },
          300_000,
        );
        leaseTakeover.push((Date.now() - leaseKilledAt) / 1000);
        log(`round ${round}: box collection taken over ${leaseTakeover.at(-1)?.toFixed(1)} s after the kill`);
        // Gracefully: it hands its boxes back, so the next round starts with no worker holding anything.
        await survivor.stop('SIGTERM');
      }
    } finally {
      await env.close();
    }
    const figures: Figure[] = [
      ...summarise('killed worker: provisioning job taken over', jobTakeover, { op: '<', value: 15 }),
      ...summarise('signup to active with the worker killed in bootstrap', signupWall),
      ...summarise('killed worker: box collection taken over', leaseTakeover, { op: '<', value: 10 }),
      ...summarise('a worker process start (to ready, two at once)', heirStart),
    ];
    return figures;
  },
});
