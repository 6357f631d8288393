import { createHash, randomUUID } from 'node:crypto';
import { AppError } from '@paddock/contracts';
import type { PrismaClient } from '@paddock/db';
import type { BoxGateway } from '../boxes/box-gateway';
import type { RequestFacts, TenantIdentity } from '../tenants/tenant-identity';
import type { RunSummary } from './run-replies';
import { type StartRunInput, startRun } from './start-run';
import type { ServiceClients } from '../clients';

/** How long a start can be replayed by its Idempotency-Key (as for signups). */
export const RUN_START_REPLAY_TTL_MS = 24 * 3600 * 1000;

export interface StartRunOutcome {
  status: number;
  run: RunSummary;
  /** True when this is the stored answer of an earlier request with the same key and body. */
  replayed: boolean;
}

/** Keys are the tenant's own: the scope holds the tenant id, so two tenants' keys never meet in the unique index. */
export function runStartScope(tenantId: string): string {
  return `run.start:${tenantId}`;
}

/** sha256 of the request as validated (defaults applied, inputs in key order): the same start, however written. */
export function startRunRequestHash(input: StartRunInput): string {
  const inputs = Object.entries(input.inputs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonical = JSON.stringify([input.chain ?? null, input.chainVersionId ?? null, inputs]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

interface InProgress {
  runId: string;
}

interface StoredRecord {
  id: string;
  request_hash: string;
  response_status: number | null;
  response_body: unknown;
  completed: boolean;
  expired: boolean;
}

/**
 * Starts a run at most once per Idempotency-Key (within 24 h): a retry with the same key and body gets the first
 * answer (same run, same status); the same key with another body is a 409 `idempotency_conflict`.
 *
 * The key's record is written first and committed, holding the run id this key will use and a lease. Whoever holds
 * the lease starts the run; concurrent requests with the key wait for its answer. The box refuses a run id it already
 * has, so even a start retried after its owner died (lease expired) cannot make a second run. A start that fails
 * before reaching the box frees the key again; one the box may have started keeps it, and the next retry finishes it.
 */
export async function startRunOnce(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  boxes: BoxGateway,
  actor: TenantIdentity,
  input: StartRunInput,
  idempotencyKey: string,
  request: RequestFacts = {},
): Promise<StartRunOutcome> {
  const scope = runStartScope(actor.tenantId);
  const requestHash = startRunRequestHash(input);
  // Long enough for one whole start (the box's open and answer timeouts, and the database around them).
  const leaseMs = boxes.longestRequestMs + 10_000;
  let waitMs = 20;
  for (;;) {
    const claimed = await claim(prisma, { scope, key: idempotencyKey, requestHash, tenantId: actor.tenantId, leaseMs });
    if (claimed) return startAsOwner(prisma, boxes, actor, input, request, claimed);
    const record = await readRecord(prisma, scope, idempotencyKey);
    if (!record) continue; // freed meanwhile by a start that failed: claim it
    if (record.expired) {
      await prisma.$executeRaw`DELETE FROM idempotency_records WHERE id = ${record.id}::uuid AND expires_at <= now()`;
      continue;
    }
    if (record.request_hash !== requestHash) {
      throw new AppError(
        'idempotency_conflict',
        'This Idempotency-Key was already used to start a run with a different body; use a new key for a new run.',
      );
    }
    if (record.completed) {
      return { status: record.response_status ?? 201, run: record.response_body as RunSummary, replayed: true };
    }
    const taken = await takeOver(prisma, record.id, leaseMs);
    if (taken) return startAsOwner(prisma, boxes, actor, input, request, taken);
    // Another request with this key is starting the run: its answer is ours.
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    waitMs = Math.min(waitMs * 2, 250);
  }
}

async function startAsOwner(
  prisma: PrismaClient,
  boxes: BoxGateway,
  actor: TenantIdentity,
  input: StartRunInput,
  request: RequestFacts,
  owned: InProgress & { recordId: string },
): Promise<StartRunOutcome> {
  let run: RunSummary;
  try {
    run = await startRun({ prisma }, boxes, actor, input, request, { runId: owned.runId });
  } catch (error) {
    const left = await prisma.run.findFirst({
      where: { id: owned.runId, tenantId: actor.tenantId },
      select: { id: true },
    });
    if (left) {
      // The box may have started it: the key keeps the run id, and the next retry takes over at once.
      await prisma.$executeRaw`
        UPDATE idempotency_records SET response_body = jsonb_set(response_body, '{leaseUntil}', to_jsonb(now()))
         WHERE id = ${owned.recordId}::uuid AND completed_at IS NULL`;
    } else {
      // Nothing was started: the key is free for a retry, which decides afresh (the chain may be synced by then).
      await prisma.idempotencyRecord.deleteMany({ where: { id: owned.recordId, completedAt: null } });
    }
    throw error;
  }
  await prisma.idempotencyRecord.update({
    where: { id: owned.recordId },
    data: { responseStatus: 201, responseBody: run as object, completedAt: new Date() },
  });
  return { status: 201, run, replayed: false };
}

/** Inserts the key's record with a fresh run id and a lease; nothing (undefined) when the key has one already. */
async function claim(
  prisma: PrismaClient,
  row: { scope: string; key: string; requestHash: string; tenantId: string; leaseMs: number },
): Promise<(InProgress & { recordId: string }) | undefined> {
  const runId = randomUUID();
  const inserted = await prisma.$queryRaw<Array<{ id: string }>>`
    INSERT INTO idempotency_records (scope, key, request_hash, response_body, tenant_id, expires_at)
    VALUES (${row.scope}, ${row.key}, ${row.requestHash},
            jsonb_build_object('runId', ${runId}::text, 'leaseUntil', now() + ${row.leaseMs} ::float8 * interval '1 millisecond'),
            ${row.tenantId}::uuid, now() + ${RUN_START_REPLAY_TTL_MS} ::float8 * interval '1 millisecond')
    ON CONFLICT (scope, key) DO NOTHING
    RETURNING id::text`;
  const id = inserted[0]?.id;
  return id ? { recordId: id, runId } : undefined;
}

/** Takes an unfinished start over when its lease ran out (its owner died, or gave up not knowing the outcome). */
async function takeOver(
  prisma: PrismaClient,
  recordId: string,
  leaseMs: number,
): Promise<(InProgress & { recordId: string }) | undefined> {
  const rows = await prisma.$queryRaw<Array<{ run_id: string | null }>>`
    UPDATE idempotency_records
       SET response_body = jsonb_set(response_body, '{leaseUntil}',
                                     to_jsonb(now() + ${leaseMs} ::float8 * interval '1 millisecond'))
     WHERE id = ${recordId}::uuid AND completed_at IS NULL
       AND (response_body->>'leaseUntil')::timestamptz <= now()
    RETURNING response_body->>'runId' AS run_id`;
  const runId = rows[0]?.run_id;
  return runId ? { recordId, runId } : undefined;
}

async function readRecord(prisma: PrismaClient, scope: string, key: string): Promise<StoredRecord | undefined> {
  const rows = await prisma.$queryRaw<StoredRecord[]>`
    SELECT id::text, request_hash, response_status, response_body,
           completed_at IS NOT NULL AS completed, expires_at <= now() AS expired
      FROM idempotency_records WHERE scope = ${scope} AND key = ${key}`;
  return rows[0];
}
