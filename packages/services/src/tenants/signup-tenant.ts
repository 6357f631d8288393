import { AppError, type SignupBody, type SignupReply, workspaceSlug } from '@paddock/contracts';
import { Prisma, type PrismaClient } from '@paddock/db';
import type { Queues } from '@paddock/jobs';
import { generateApiKey, type Vault } from '@paddock/vault';
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

// Under a burst of signups every request waits for one of a few pooled connections; waiting is fine, failing is not.
const TRANSACTION_OPTIONS = { maxWait: 60_000, timeout: 30_000 } as const;

/**
 * Signs a tenant up: tenant, owner, subscription, first API key, provisioning workflow, the provisioning job's record
 * and the idempotency record with the answer, all in one transaction; then the job goes onto its queue.
 *
 * Concurrency: the idempotency row is inserted first, so a second request with the same key waits on its unique
 * index until the first commits, then finds the stored answer. A different key with the same email or workspace
 * handle fails on those unique indexes and gets a 409 naming which.
 */
export async function signupTenant(deps: SignupDeps, input: SignupInput): Promise<SignupOutcome> {
  const requestHash = signupRequestHash(input);
  const stored = await findStoredSignup(deps, input.idempotencyKey, requestHash);
  if (stored) return stored;

  const plan = await deps.prisma.plan.findFirst({ where: { code: input.plan, active: true }, select: { id: true } });
  if (!plan) throw await unknownPlan(deps.prisma, input.plan);

  const slug = workspaceSlug(input.workspaceName);
  const apiKey = generateApiKey('live');
  const now = new Date();
  let reply: SignupReply;
  let tenantId: string;
  let workflowId: string;
  try {
    ({ reply, tenantId, workflowId } = await deps.prisma.$transaction(async (tx) => {
      // An expired record is only a spent retry handle: the key may start a new signup.
      await tx.idempotencyRecord.deleteMany({
        where: { scope: SIGNUP_SCOPE, key: input.idempotencyKey, expiresAt: { lte: now } },
      });
      const record = await tx.idempotencyRecord.create({
        data: {
          scope: SIGNUP_SCOPE,
          key: input.idempotencyKey,
          requestHash,
          expiresAt: new Date(now.getTime() + SIGNUP_REPLAY_TTL_MS),
        },
        select: { id: true },
      });
      const tenant = await tx.tenant.create({
        data: { slug, name: input.workspaceName, planId: plan.id, status: 'provisioning' },
        select: { id: true },
      });
      const user = await tx.user.create({
        data: { tenantId: tenant.id, email: input.email, role: 'owner' },
        select: { id: true },
      });
      await tx.subscription.create({
        data: {
          tenantId: tenant.id,
          planId: plan.id,
          status: 'active',
          currentPeriodStart: now,
          currentPeriodEnd: addMonthUtc(now),
        },
      });
      const key = await tx.apiKey.create({
        data: {
          tenantId: tenant.id,
          userId: user.id,
          name: 'Created at signup',
          prefix: apiKey.prefix,
          keyHash: apiKey.hash,
        },
        select: { id: true },
      });
      const workflow = await tx.workflow.create({
        data: { tenantId: tenant.id, kind: 'provision', key: `provision:${tenant.id}`, currentStep: 'queued' },
        select: { id: true },
      });
      // The job's record is written here, with the tenant (an outbox row): a signup that committed always has its
      // one provisioning job, even if the process dies before the job reaches Redis (a replay re-adds it).
      await tx.jobRecord.create({
        data: {
          queue: PROVISIONING_JOB.queue,
          name: PROVISIONING_JOB.name,
          jobId: provisioningJobId(workflow.id),
          payload: { tenantId: tenant.id, workflowId: workflow.id },
          maxAttempts: PROVISIONING_JOB.attempts,
          tenantId: tenant.id,
          workflowId: workflow.id,
        },
      });
      const answer: SignupReply = {
        tenant: { id: tenant.id, slug, name: input.workspaceName, status: 'provisioning', plan: input.plan },
        user: { id: user.id, email: input.email, role: 'owner' },
        apiKey: { id: key.id, prefix: apiKey.prefix, key: apiKey.key },
        workflowId: workflow.id,
      };
      await tx.idempotencyRecord.update({
        where: { id: record.id },
        data: {
          ...sealSignupReply(deps.vault, input.idempotencyKey, requestHash, answer),
          responseStatus: 202,
          tenantId: tenant.id,
          completedAt: new Date(),
        },
      });
      await tx.auditLog.create({
        data: {
          tenantId: tenant.id,
          actorType: 'user',
          actorId: user.id,
          actorLabel: input.email,
          action: 'tenant.signup',
          targetType: 'tenant',
          targetId: tenant.id,
          details: { slug, plan: input.plan, apiKeyPrefix: apiKey.prefix, workflowId: workflow.id },
          ipAddress: input.ipAddress?.slice(0, 64) ?? null,
          requestId: input.requestId?.slice(0, 128) ?? null,
        },
      });
      return { reply: answer, tenantId: tenant.id, workflowId: workflow.id };
    }, TRANSACTION_OPTIONS));
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    // Which unique index refused is read back from the data rather than parsed out of the driver's message.
    const replay = await findStoredSignup(deps, input.idempotencyKey, requestHash);
    if (replay) return replay;
    throw await explainConflict(deps.prisma, input.email, slug, input.workspaceName, error);
  }
  await enqueueOrExplain(deps.queues, tenantId, workflowId);
  return { reply, replayed: false };
}

async function findStoredSignup(
  deps: SignupDeps,
  idempotencyKey: string,
  requestHash: string,
): Promise<SignupOutcome | null> {
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
  const reply = openSignupReply(deps.vault, idempotencyKey, requestHash, record);
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
    await queueProvisioningJob(queues, { tenantId, workflowId });
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
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
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
