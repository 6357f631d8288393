import { startWorkers, createPrismaJobRecords } from '@paddock/jobs';
import { evaluateMonitoringRound, syncChainVersion } from '@paddock/services';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandlers } from '../../apps/worker/src/handlers';
import { type SshRunsWorld, startSshRunsWorld } from '../tenant/runs-support';
import { startReceiver } from './receiver';
import { waitFor } from './support';

// The done-when of issue 15: a live chain on a real test box whose token use doubles after a prompt change raises a
// cost-drift alert with its evidence, and the alert's webhook arrives signed. The runs, their usage and their
// collection are real (SSH, chainctl, the collector's transaction); only the baseline's age is moved: the first
// version's runs are shifted two days back, as if they had run then, because a trailing baseline needs the past.
const chain = (prompt: string, tokensIn: number, tokensOut: number) => `name: summarize
agents:
  write:
    run: echo '${prompt}'; echo '::usage {"model":"m-1","input_tokens":${tokensIn},"output_tokens":${tokensOut}}'
`;
const BASELINE_RUNS = 10;

let world: SshRunsWorld;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let workers: ReturnType<typeof startWorkers>;

beforeAll(async () => {
  world = await startSshRunsWorld('monitor-live');
  receiver = await startReceiver();
  const { t } = world;
  workers = startWorkers({
    connection: t.redis,
    prefix: (t.queues.control.opts.prefix as string) ?? 'bull',
    workerId: 'live-monitor-worker',
    records: createPrismaJobRecords(t.prisma),
    handlers: createHandlers({
      prisma: t.prisma,
      queues: t.queues,
      webhooks: { vault: t.vault, policy: { allowLoopback: true } },
    }),
    logger: pino({ level: 'silent' }),
    concurrency: { control: 2 },
    lockDurationMs: 30_000,
    stalledIntervalMs: 30_000,
  });
}, 240_000);

afterAll(async () => {
  await Promise.all((workers ?? []).map((worker) => worker.close()));
  await receiver?.close();
  await world?.close();
});

describe('cost drift on a live chain', () => {
  it('raises an alert with evidence when a prompt change doubles token use, and delivers it signed', async () => {
    const { t, tenant, boxId, sync } = world;
    const api = (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
      t.app.inject({ method, url, headers: tenant.headers, ...(payload ? { payload } : {}) });
    const hook = (await api('POST', '/v1/webhooks', { url: receiver.url('/live') })).json();
    receiver.trust('/live', hook.secret);

    const upload = async (definition: string) => {
      const reply = await api('POST', '/v1/chains', { definition });
      expect(reply.statusCode).toBe(201);
      const { version } = reply.json() as { version: { id: string } };
      // The chain.sync job's work, run here: files to the box, then (no reference inputs) the version is active.
      await syncChainVersion(
        { prisma: t.prisma, vault: t.vault, ssh: t.ssh, queues: t.queues },
        { tenantId: tenant.tenantId, chainVersionId: version.id },
        { jobId: `sync-${version.id}`, finalAttempt: true },
      );
      expect((await t.prisma.chainVersion.findUniqueOrThrow({ where: { id: version.id } })).status).toBe('active');
      return version.id;
    };
    // One after another: the plan admits a few concurrent runs only.
    const runAll = async (count: number) => {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const started = await api('POST', '/v1/runs', { chain: 'summarize' });
        expect(started.statusCode).toBe(201);
        const id = started.json().id as string;
        ids.push(id);
        await sync.until('the run to succeed', boxId, tenant.tenantId, async () => {
          const row = await t.prisma.run.findUnique({ where: { id } });
          return row?.status === 'succeeded' ? true : undefined;
        });
      }
      return ids;
    };

    const v1 = await upload(chain('Summarize the text in three sentences.', 1_000, 100));
    const baseline = await runAll(BASELINE_RUNS);
    // As if they had run over the two days before: same rows, same usage, earlier clock.
    await t.prisma.$executeRaw`
      UPDATE runs SET created_at = created_at - interval '2 days', started_at = started_at - interval '2 days',
                      finished_at = finished_at - interval '2 days', updated_at = updated_at - interval '2 days'
       WHERE id = ANY(${baseline}::uuid[])`;

    // The prompt change: the new version asks for more and its agent uses twice the tokens.
    const v2 = await upload(
      chain('Summarize the text in three sentences, then list every claim with its source.', 2_000, 200),
    );
    const [drifted] = await runAll(1);
    const run = await t.prisma.run.findUniqueOrThrow({ where: { id: drifted } });
    expect(run).toMatchObject({ chainVersionId: v2, tokensIn: 2_000, tokensOut: 200 });
    expect(v1).not.toBe(v2);

    const round = await evaluateMonitoringRound({ prisma: t.prisma, queues: t.queues });
    expect(round.opened).toBeGreaterThanOrEqual(1);
    const alert = await t.prisma.alert.findFirstOrThrow({
      where: { tenantId: tenant.tenantId, code: 'cost_drift_run' },
    });
    const evidence = alert.evidence as Array<{
      metric: string;
      baseline: number;
      current: number;
      sampleRunIds: string[];
    }>;
    expect(evidence.find((e) => e.metric === 'tokens per run')).toMatchObject({
      baseline: 1_100,
      current: 2_200,
      sampleRunIds: expect.arrayContaining([drifted, ...baseline.slice(-1)]),
    });
    expect(evidence.find((e) => e.metric === 'costMicros per run')).toMatchObject({
      current: 2 * (evidence.find((e) => e.metric === 'costMicros per run')?.baseline ?? 0),
    });

    const delivered = await waitFor('the signed webhook', async () =>
      receiver.received.find(
        (r) => r.path === '/live' && (r.body.alert as { id?: string } | undefined)?.id === alert.id,
      ),
    );
    expect(delivered.verdict).toBe('valid');
    expect(delivered.body).toMatchObject({
      type: 'alert.opened',
      alert: { code: 'cost_drift_run', severity: 'warning' },
    });
  });
});
