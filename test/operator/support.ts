import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '@paddock/db';
import type { Queues } from '@paddock/jobs';
import { advanceWorkflow, provisionWorkflow } from '@paddock/services';
import type { SshPool } from '@paddock/fleet';
import type { Vault } from '@paddock/vault';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { pino } from 'pino';
import { signupRequest } from '../tenant/support';

export interface NamedTenant {
  tenantId: string;
  workflowId: string;
  email: string;
  name: string;
  headers: { authorization: string };
}

/** Signs a workspace up through the API with the name and email given (the shared helper's all start "Workspace"). */
export async function signUpNamed(app: FastifyInstance, name: string, email: string): Promise<NamedTenant> {
  const reply = await app.inject(signupRequest({ email, workspaceName: name, plan: 'starter' }));
  if (reply.statusCode !== 202) throw new Error(`signup failed: ${reply.statusCode} ${reply.body}`);
  const body = reply.json() as { tenant: { id: string }; apiKey: { key: string }; workflowId: string };
  return {
    tenantId: body.tenant.id,
    workflowId: body.workflowId,
    email,
    name,
    headers: { authorization: `Bearer ${body.apiKey.key}` },
  };
}

export const uniqueSuffix = () => randomUUID().slice(0, 8);

/**
 * Runs the tenant's real provisioning workflow's first step, as its last attempt, on a control plane that has no box
 * provider configured: create_box writes the box row, then fails, and the workflow parks the tenant in
 * provisioning_failed with the reason, exactly as the worker does.
 */
export async function failProvisioning(
  deps: { prisma: PrismaClient; queues: Queues; vault: Vault; ssh: SshPool; databaseUrl: string },
  workflowId: string,
): Promise<void> {
  const pool = new pg.Pool({ connectionString: deps.databaseUrl, max: 1 });
  try {
    const provision = provisionWorkflow({
      prisma: deps.prisma,
      queues: deps.queues,
      pg: pool,
      vault: deps.vault,
      ssh: deps.ssh,
      providers: {},
      releaseDir: '/nonexistent',
      systemNode: false,
    });
    const attempt = advanceWorkflow(
      { prisma: deps.prisma, queues: deps.queues, workflows: { provision } },
      { workflowId, round: 0 },
      { attempt: 1, finalAttempt: true, signal: new AbortController().signal, logger: pino({ level: 'silent' }) },
    );
    await attempt.then(
      () => {
        throw new Error('provisioning was expected to fail');
      },
      (error: unknown) => {
        if (!(error instanceof Error) || !error.message.includes('provider is not configured')) throw error;
      },
    );
  } finally {
    await pool.end();
  }
}
