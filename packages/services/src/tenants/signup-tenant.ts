import { randomUUID } from 'node:crypto';
import { AppError, type SignupBody, type SignupReply, workspaceSlug } from '@paddock/contracts';
import { Prisma, type PrismaClient } from '@paddock/db';
import type { Queues } from '@paddock/jobs';
import { generateApiKey, hashPassword, type Vault, verifyPassword } from '@paddock/vault';
import { insertSignup } from './insert-signup';
import { PROVISIONING_JOB, provisioningJobId, queueProvisioningJob } from './provisioning-job';
import {
  openSignupReply,
  SIGNUP_REPLAY_TTL_MS,
  SIGNUP_SCOPE,
  sealSignupReply,
  signupRequestHash,
} from './signup-idempotency';
import type { RequestFacts } from './tenant-identity';

export interface SignupDeps {
  prisma: PrismaClient;
  queues: Queues;
  vault: Vault;
}

export interface SignupInput extends SignupBody, RequestFacts {
  idempotencyKey: string;
}

export interface SignupOutcome {
  reply: SignupReply;
  /** True when this answer is a stored one (same Idempotency-Key and body as an earlier signup). */
  replayed: boolean;
}

/**
 * Signs a tenant up: tenant, owner, subscription, first API key, provisioning workflow, the provisioning job's record
 * and the idempotency record with the answer, all in one statement (see insertSignup); then the job goes onto its
 * queue.
 *
 * The write is tried first and the idempotency record read only when the write did nothing, so a new signup costs
 * one round trip to Postgres. A second request with the same key waits on the key's unique index until the first
 * commits, then gets the stored answer; a different key with the same email or workspace handle gets a 409 naming
 * which.
 */
export async function signupTenant(deps: SignupDeps, input: SignupInput): Promise<SignupOutcome> {
  const requestHash = signupRequestHash(input);
  const slug = workspaceSlug(input.workspaceName);
  // Hashed before the write (the statement needs it); the password itself goes nowhere else.
  const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
  for (let attempt = 1; ; attempt++) {
    const now = new Date();
    const generated = generateApiKey('live');
    const reply: SignupReply = {
      tenant: { id: randomUUID(), slug, name: input.workspaceName, status: 'provisioning', plan: input.plan },
      user: { id: randomUUID(), email: input.email, role: 'owner' },
      apiKey: { id: randomUUID(), prefix: generated.prefix, key: generated.key },
      workflowId: randomUUID(),
    };
    const sealed = sealSignupReply({ vault: deps.vault }, input.idempotencyKey, requestHash, reply, passwordHash);
    let inserted: boolean;
    try {
      inserted = await insertSignup(
        { prisma: deps.prisma },
        {
          tenant: { id: reply.tenant.id, slug, name: input.workspaceName, planCode: input.plan },
          user: { id: reply.user.id, email: input.email, passwordHash },
          subscription: { periodStart: now, periodEnd: addMonthUtc(now) },
          apiKey: { id: reply.apiKey.id, prefix: generated.prefix, hash: generated.hash },
          workflow: { id: reply.workflowId, key: `provision:${reply.tenant.id}` },
          // The job's record is written with the tenant (an outbox row): a signup that committed always has its one
          // provisioning job, even if the process dies before the job reaches Redis (a replay adds it again).
          job: {
            queue: PROVISIONING_JOB.queue,
            name: PROVISIONING_JOB.name,
            jobId: provisioningJobId(reply.workflowId),
            maxAttempts: PROVISIONING_JOB.attempts,
            payload: { tenantId: reply.tenant.id, workflowId: reply.workflowId },
          },
          idempotency: {
            scope: SIGNUP_SCOPE,
            key: input.idempotencyKey,
            requestHash,
            responseBody: sealed.responseBody,
            responseSecretsEncrypted: sealed.responseSecretsEncrypted,
            expiresAt: new Date(now.getTime() + SIGNUP_REPLAY_TTL_MS),
          },
          audit: {
            details: {
              slug,
              plan: input.plan,
              apiKeyPrefix: generated.prefix,
              workflowId: reply.workflowId,
              passwordSet: passwordHash !== null,
            },
            ipAddress: input.ipAddress?.slice(0, 64) ?? null,
            requestId: input.requestId?.slice(0, 128) ?? null,
          },
        },
      );
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // Which unique index refused is read back from the data rather than parsed out of the driver's message.
      throw await explainConflict(deps.prisma, input.email, slug, input.workspaceName, error);
    }
    if (inserted) {
      await enqueueOrExplain(deps.queues, reply.tenant.id, reply.workflowId);
      return { reply, replayed: false };
    }
    // Nothing written: the key has a record (a replay, or a conflict), or the plan is unknown.
    const stored = await findStoredSignup(deps, input, requestHash);
    if (stored) return stored;
    if (attempt === 1 && (await deleteExpiredRecord(deps.prisma, input.idempotencyKey))) continue;
    throw await unknownPlan(deps.prisma, input.plan);
  }
}

/** An expired record is only a spent retry handle: the key may start a new signup. */
async function deleteExpiredRecord(prisma: PrismaClient, idempotencyKey: string): Promise<boolean> {
  const { count } = await prisma.idempotencyRecord.deleteMany({
    where: { scope: SIGNUP_SCOPE, key: idempotencyKey, expiresAt: { lte: new Date() } },
  });
  return count > 0;
}

async function findStoredSignup(
  deps: SignupDeps,
  input: SignupInput,
  requestHash: string,
): Promise<SignupOutcome | null> {
  const idempotencyKey = input.idempotencyKey;
  const record = await deps.prisma.idempotencyRecord.findUnique({
    where: { scope_key: { scope: SIGNUP_SCOPE, key: idempotencyKey } },
    select: {
      requestHash: true,
      responseBody: true,
      responseSecretsEncrypted: true,
      completedAt: true,
      expiresAt: true,
    },
  });
  if (!record || record.expiresAt <= new Date()) return null;
  if (record.requestHash !== requestHash) {
    throw new AppError(
      'idempotency_conflict',
      'This Idempotency-Key was already used for a different signup; use a new key for a new request.',
    );
  }
  // Records are written complete in the signup's transaction, so an incomplete one is a bug, not a race.
  if (!record.completedAt) throw new Error('signup idempotency record without an answer');
  const { reply, passwordHash } = openSignupReply({ vault: deps.vault }, idempotencyKey, requestHash, record);
  // The request hash only says both had a password; whether it is the same one, only scrypt can tell.
  if (input.password !== undefined && !(passwordHash && (await verifyPassword(input.password, passwordHash)))) {
    throw new AppError(
      'idempotency_conflict',
      'This Idempotency-Key was already used for a signup with another password; use a new key for a new request.',
    );
  }
  // The first attempt may have died between commit and Redis: a job record still queued is added again (a no-op for
  // BullMQ when the job is there already).
  const job = await deps.prisma.jobRecord.findUnique({
    where: { queue_jobId: { queue: PROVISIONING_JOB.queue, jobId: provisioningJobId(reply.workflowId) } },
    select: { status: true },
  });
  if (job?.status === 'queued') await enqueueOrExplain(deps.queues, reply.tenant.id, reply.workflowId);
  return { reply, replayed: true };
}

async function enqueueOrExplain(queues: Queues, tenantId: string, workflowId: string): Promise<void> {
  try {
    await queueProvisioningJob({ queues }, { tenantId, workflowId });
  } catch (error) {
    throw new AppError(
      'upstream_unavailable',
      'Your workspace was created, but its provisioning could not be queued right now. Repeat the same request ' +
        '(same Idempotency-Key and body) to get your API key and queue it again.',
      { cause: error },
    );
  }
}

async function explainConflict(
  prisma: PrismaClient,
  email: string,
  slug: string,
  workspaceName: string,
  cause: unknown,
): Promise<AppError> {
  if (await prisma.user.findUnique({ where: { email }, select: { id: true } })) {
    return new AppError('conflict', `An account with the email ${email} already exists; sign in instead.`, {
      details: [{ path: 'body.email', message: 'is already registered' }],
      cause,
    });
  }
  if (await prisma.tenant.findUnique({ where: { slug }, select: { id: true } })) {
    return new AppError(
      'conflict',
      `The workspace name "${workspaceName}" is taken (its handle "${slug}" is in use); choose another name.`,
      { details: [{ path: 'body.workspaceName', message: `handle "${slug}" is taken` }], cause },
    );
  }
  return new AppError('conflict', 'The signup conflicts with an existing record; try again.', { cause });
}

async function unknownPlan(prisma: PrismaClient, code: string): Promise<AppError> {
  const plans = await prisma.plan.findMany({ where: { active: true }, orderBy: { sortOrder: 'asc' } });
  const known = plans.map((plan) => plan.code).join(', ') || 'none';
  return new AppError('validation_failed', `There is no plan "${code}". Available plans: ${known}.`, {
    details: [{ path: 'body.plan', message: `unknown plan; one of: ${known}` }],
  });
}

function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) return false;
  if (error.code === 'P2002') return true;
  // Raw statements carry the driver adapter's error, with Postgres' own code (23505 unique_violation).
  const meta = error.meta as { driverAdapterError?: { cause?: { originalCode?: string; kind?: string } } } | undefined;
  const cause = meta?.driverAdapterError?.cause;
  return cause?.originalCode === '23505' || cause?.kind === 'UniqueConstraintViolation';
}

/** One calendar month later (Jan 31 -> Feb 28/29), in UTC, for the first billing period. */
function addMonthUtc(date: Date): Date {
  const next = new Date(date);
  next.setUTCDate(1);
  next.setUTCMonth(next.getUTCMonth() + 1);
  const lastDay = new Date(Date.UTC(next.getUTCFullYear(), next.getUTCMonth() + 1, 0)).getUTCDate();
  next.setUTCDate(Math.min(date.getUTCDate(), lastDay));
  return next;
}
