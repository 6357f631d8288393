import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrapBox, buildRuntimeRelease, deployToBox } from '@paddock/fleet';
import { startWorkers, createPrismaJobRecords } from '@paddock/jobs';
import type { LocalBox } from '@paddock/providers';
import pino from 'pino';
import type { TestApp } from '../../apps/api/src/test-app';
import { createHandlers } from '../../apps/worker/src/handlers';
import { createTestFleet, type TestFleet } from '../fleet/support/test-boxes';
import { registerTestBox, type SignedUp, signUp, startTenantTestApp } from '../tenant/support';

export interface BoxSyncEnv {
  t: TestApp;
  fleet: TestFleet;
  box: LocalBox;
  tenant: SignedUp;
  boxId: string;
  /** Starts job workers in this process (the real handlers, real BullMQ); returns how to stop them. */
  startWorker(): () => Promise<void>;
  close(): Promise<void>;
}

/**
 * A signed-up tenant whose box is a real test box (sshd on loopback) with the real runtime release deployed, as
 * provisioning leaves it: its own key encrypted for its row, its host key pinned.
 */
export async function startBoxSyncEnv(label: string): Promise<BoxSyncEnv> {
  const outDir = mkdtempSync(join(tmpdir(), `paddock-box-sync-${label}-`));
  const fleet = await createTestFleet(1);
  const box = fleet.boxes[0];
  if (!box) throw new Error('no test box');
  const pool = fleet.pool();
  const release = await buildRuntimeRelease({
    runtimeDir: join(import.meta.dirname, '../../packages/runtime'),
    outDir: join(outDir, 'rt'),
    version: `rt-${label}`,
    node: { kind: 'system' },
  });
  await bootstrapBox({ pool, target: fleet.target(box), systemNode: true });
  const deployed = await deployToBox({ pool, target: fleet.target(box), release, deployId: `box-sync-${label}` });
  if (deployed.outcome !== 'succeeded') throw new Error(`deploy failed: ${deployed.error}`);

  const t = await startTenantTestApp();
  const tenant = await signUp(t.app, label);
  const boxId = await registerTestBox(t, tenant.tenantId, box, fleet.loginKey);
  const stops: Array<() => Promise<void>> = [];
  return {
    t,
    fleet,
    box,
    tenant,
    boxId,
    startWorker() {
      const workers = startWorkers({
        connection: t.redis,
        prefix: (t.queues.fleet.opts.prefix as string) ?? 'bull',
        workerId: `box-sync-${label}`,
        records: createPrismaJobRecords(t.prisma),
        handlers: createHandlers({
          prisma: t.prisma,
          queues: t.queues,
          workflows: {},
          boxes: { vault: t.vault, ssh: t.ssh, stagingPollMs: 100 },
        }),
        logger: pino({ level: 'silent' }),
        concurrency: { fleet: 4 },
        lockDurationMs: 30_000,
        stalledIntervalMs: 30_000,
      });
      const stop = async () => {
        await Promise.all(workers.map((worker) => worker.close()));
      };
      stops.push(stop);
      return stop;
    },
    async close() {
      for (const stop of stops) await stop();
      await t.close();
      await fleet.destroy();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}
