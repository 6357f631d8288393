import type { Prisma } from '@paddock/db';
import type { ServiceClients } from '../clients';

export interface SignupRows {
  tenant: { id: string; slug: string; name: string; planCode: string };
  /** passwordHash: scrypt (@paddock/vault), or null for an owner who logs in with the API key only, for now. */
  user: { id: string; email: string; passwordHash: string | null };
  subscription: { periodStart: Date; periodEnd: Date };
  apiKey: { id: string; prefix: string; hash: string };
  workflow: { id: string; key: string };
  job: { queue: string; name: string; jobId: string; maxAttempts: number; payload: Prisma.InputJsonObject };
  idempotency: {
    scope: string;
    key: string;
    requestHash: string;
    responseBody: Prisma.InputJsonObject;
    responseSecretsEncrypted: string;
    expiresAt: Date;
  };
  audit: { details: Prisma.InputJsonObject; ipAddress: string | null; requestId: string | null };
}

/**
 * Writes a whole signup as ONE statement (data-modifying CTEs): the idempotency record with its answer, tenant,
 * owner, subscription, API key, provisioning workflow, the job's record and the audit row. One statement is one
 * atomic transaction and one round trip; ids are chosen by the caller so the answer is complete before the write.
 *
 * Returns false, writing nothing, when the plan is unknown or inactive, or when the Idempotency-Key has a record
 * already: every insert hangs off the idempotency insert, which does nothing on a conflict. A concurrent request
 * with the same key waits on that index until the first commits, then does nothing. A different key with the same
 * email or workspace handle fails with a unique violation. Foreign keys between the new rows hold because Postgres
 * checks them at the end of the statement.
 */
export async function insertSignup({ prisma }: Pick<ServiceClients, 'prisma'>, rows: SignupRows): Promise<boolean> {
  const { tenant, user, subscription, apiKey, workflow, job, idempotency, audit } = rows;
  const inserted = await prisma.$executeRaw`
    WITH plan AS (
      SELECT id FROM plans WHERE code = ${tenant.planCode} AND active
    ), idempotency AS (
      INSERT INTO idempotency_records
        (scope, key, request_hash, response_status, response_body, response_secrets_encrypted, tenant_id,
         completed_at, expires_at)
      SELECT ${idempotency.scope}, ${idempotency.key}, ${idempotency.requestHash}, 202,
             ${JSON.stringify(idempotency.responseBody)}::jsonb, ${idempotency.responseSecretsEncrypted},
             ${tenant.id}::uuid, now(), ${idempotency.expiresAt}
        FROM plan
      ON CONFLICT (scope, key) DO NOTHING
      RETURNING 1
    ), new_tenant AS (
      INSERT INTO tenants (id, slug, name, status, plan_id)
      SELECT ${tenant.id}::uuid, ${tenant.slug}, ${tenant.name}, 'provisioning', plan.id FROM plan, idempotency
    ), owner AS (
      INSERT INTO users (id, tenant_id, email, role, password_hash, password_changed_at)
      SELECT ${user.id}::uuid, ${tenant.id}::uuid, ${user.email}, 'owner', ${user.passwordHash}::text,
             CASE WHEN ${user.passwordHash}::text IS NULL THEN NULL ELSE now() END
        FROM idempotency
    ), subscription AS (
      INSERT INTO subscriptions (tenant_id, plan_id, status, current_period_start, current_period_end)
      SELECT ${tenant.id}::uuid, plan.id, 'active', ${subscription.periodStart}, ${subscription.periodEnd}
        FROM plan, idempotency
    ), api_key AS (
      INSERT INTO api_keys (id, tenant_id, user_id, name, prefix, key_hash)
      SELECT ${apiKey.id}::uuid, ${tenant.id}::uuid, ${user.id}::uuid, 'Created at signup', ${apiKey.prefix},
             ${apiKey.hash}
        FROM idempotency
    ), workflow AS (
      INSERT INTO workflows (id, tenant_id, kind, key, current_step)
      SELECT ${workflow.id}::uuid, ${tenant.id}::uuid, 'provision', ${workflow.key}, 'queued' FROM idempotency
    ), job AS (
      INSERT INTO job_records (queue, name, job_id, payload, max_attempts, tenant_id, workflow_id, request_id)
      SELECT ${job.queue}, ${job.name}, ${job.jobId}, ${JSON.stringify(job.payload)}::jsonb, ${job.maxAttempts},
             ${tenant.id}::uuid, ${workflow.id}::uuid, left(${audit.requestId}::text, 64)
        FROM idempotency
    )
    INSERT INTO audit_log
      (tenant_id, actor_type, actor_id, actor_label, action, target_type, target_id, details, ip_address, request_id)
    SELECT ${tenant.id}::uuid, 'user', ${user.id}::uuid, ${user.email}, 'tenant.signup', 'tenant', ${tenant.id},
           ${JSON.stringify(audit.details)}::jsonb, ${audit.ipAddress}, ${audit.requestId}
      FROM idempotency`;
  return inserted === 1;
}
