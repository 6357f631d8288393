import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrapBox, SshPool } from '@paddock/fleet';
import type { LocalBox } from '@paddock/providers';
import { loadBoxTarget, type ProvisioningDeps } from '@paddock/services';
import { Pool } from 'pg';
import pino from 'pino';
import type { TestApp } from '../../../apps/api/src/test-app';
import type { WorkflowStepContext } from '@paddock/services';
import { registerTestBox, type SignedUp, signUp, startTenantTestApp } from '../../tenant/support';
import { createTestFleet, type TestFleet } from './test-boxes';
import { buildTestRelease, type TestReleaseOptions } from './test-release';

/** A tenant's bootstrapped test box behind a real API database: what the provisioning deploy step runs against. */
export interface DeployStepBox {
  t: TestApp;
  tenant: SignedUp;
  box: LocalBox;
  boxId: string;
  /** What the provisioning steps run with (the database, vault and SSH pool of this set-up). */
  deps: ProvisioningDeps;
  /** Builds a test release, records it and promotes it (the current release new deploys get); its row id. */
  publish(options: TestReleaseOptions): Promise<string>;
  /** A provisioning step's context for this tenant's box. */
  stepContext(attempt?: number): WorkflowStepContext;
  close(): Promise<void>;
}

export async function startDeployStepBox(label: string): Promise<DeployStepBox> {
  const releaseDir = mkdtempSync(join(tmpdir(), `paddock-${label}-`));
  const [t, fleet]: [TestApp, TestFleet] = await Promise.all([startTenantTestApp(), createTestFleet(1)]);
  const pg = new Pool({ connectionString: t.databaseUrl, max: 2 });
  const ssh = new SshPool({ timeouts: { connectMs: 10_000, commandMs: 60_000 } });
  const tenant = await signUp(t.app, label);
  const box = fleet.boxes[0]!;
  const boxId = await registerTestBox(t, tenant.tenantId, box, fleet.loginKey);
  await bootstrapBox({ pool: ssh, target: await loadBoxTarget({ pg, vault: t.vault }, boxId), systemNode: true });
  const deps: ProvisioningDeps = {
    prisma: t.prisma,
    queues: t.queues,
    pg,
    vault: t.vault,
    ssh,
    providers: {},
    releaseDir,
    systemNode: true,
  };
  return {
    t,
    tenant,
    box,
    boxId,
    deps,
    async publish(options) {
      const release = await buildTestRelease(releaseDir, options);
      const row = await t.prisma.release.create({
        data: {
          version: options.version,
          manifestHash: release.digest,
          manifest: JSON.parse(JSON.stringify(release.manifest)),
          runtimeVersion: options.version,
          sizeBytes: BigInt(release.totalBytes),
          fileCount: release.manifest.files.length,
          promotedAt: new Date(),
        },
      });
      return row.id;
    },
    stepContext: (attempt = 1) => ({
      prisma: t.prisma,
      workflowId: tenant.workflowId,
      tenantId: tenant.tenantId,
      boxId,
      outputs: {},
      attempt,
      signal: new AbortController().signal,
      logger: pino({ level: 'silent' }),
    }),
    async close() {
      await ssh.close(2_000);
      await fleet.destroy();
      await pg.end();
      await t.close();
      rmSync(releaseDir, { recursive: true, force: true });
    },
  };
}
