import { createMigratedDatabase } from '@paddock/testkit';
import { defineBenchmark, type Figure } from '../harness';
import { measureApiReads } from '../lifecycle/api-reads';
import { measureDecisionLatency } from '../lifecycle/decision-latency';
import { measureSignupToActive } from '../lifecycle/signup-to-active';
import { startLifecycleEnv } from '../../test/lifecycle/support/lifecycle-env';

const BUSY_BOXES = 32;

/**
 * The tenant lifecycle on this machine's real parts: worker and API processes, Postgres, Redis, local test boxes
 * (real sshd) running the deployed runtime. Everything shares the machine's cores with the boxes, as a small
 * single-host deployment would.
 */
export default defineBenchmark({
  name: 'lifecycle',
  description:
    'signup to active on a test box; decision latency with 32 busy boxes; tenant API reads (event ingestion vs COPY: the ingest benchmark) with 10,000 tenants and 1,000,000 runs',
  async run(log) {
    const figures: Figure[] = [];
    const env = await startLifecycleEnv({ database: await createMigratedDatabase() });
    try {
      await env.startWorker('bench-worker-1', { COLLECTOR_LEASE_MS: '5000' });
      await env.startWorker('bench-worker-2', { COLLECTOR_LEASE_MS: '5000' });
      const api = await env.startApi();

      const active = await measureSignupToActive(env, 3, log);
      figures.push(...active.figures);

      const started = Date.now();
      const more = await Promise.all(
        Array.from({ length: BUSY_BOXES - active.signups.length }, (_, i) => env.signUp(`bench-busy-${i}`)),
      );
      await Promise.all(more.map((s) => env.waitForTenant(s.tenantId, 'active', 900_000)));
      const wall = (Date.now() - started) / 1000;
      log(`${more.length} more tenants to active at once (2 workers) in ${wall.toFixed(1)} s`);
      figures.push({ name: `${more.length} concurrent signups to active`, value: wall, unit: 's' });

      const tenants = [...active.signups, ...more].map((s) => ({ tenantId: s.tenantId, apiKey: s.apiKey }));
      // Busy: every box always runs 2 chains whose agent works 5 s, then asks a person (about 10 decisions a second
      // over the 32 boxes). Then the same with 1 s agents, reported without targets: on this 2-core machine, where
      // the 32 boxes' own runtimes share the cores with the control plane, that load saturates the machine and
      // measures its queues more than the control plane's way.
      const decisions = { tenants, apiUrl: api.url, durationMs: 60_000, lanes: 2 };
      figures.push(...(await measureDecisionLatency(env, { ...decisions, agentSeconds: 5, withTargets: true }, log)));
      figures.push(...(await measureDecisionLatency(env, { ...decisions, agentSeconds: 1, withTargets: false }, log)));
    } finally {
      await env.close();
    }

    figures.push(
      ...(await measureApiReads({ tenants: 10_000, runs: 1_000_000, requestsPerRoute: 2_000, concurrency: 8 }, log)),
    );
    return figures;
  },
});
