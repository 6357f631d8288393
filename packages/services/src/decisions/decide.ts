import { randomUUID } from 'node:crypto';
import { AppError } from '@paddock/contracts';
import type { PrismaClient } from '@paddock/db';
import type { BoxGateway } from '../boxes/box-gateway';
import { CHANGES_CHANNEL, topicKey } from '../changes/change-topics';
import { type RequestFacts, type TenantIdentity, tenantAuditEntry } from '../tenants/tenant-identity';
import { approversOf, optionsOf, subjectOf, toDecisionReply } from './decision-replies';
import { decisionRow } from './decision-rows';
import { decisionNotFound } from './list-decisions';
import type { ServiceClients } from '../clients';

export type DecisionChoice = 'approve' | 'reject' | 'request_changes';

const STATUS_OF: Record<DecisionChoice, 'approved' | 'rejected' | 'changes_requested'> = {
  approve: 'approved',
  reject: 'rejected',
  request_changes: 'changes_requested',
};

/**
 * A person's answer to a pending decision. The row is first claimed (one conditional UPDATE: pending, not answered,
 * no live claim), then the box is told (`decide` with `--by`) with no lock or connection held meanwhile, then who
 * decided, when and the note are recorded with an audit row. A second answer, concurrent or later, is a 409; if the
 * box refuses (deadline passed, already decided there, not an approver) or cannot be reached, the claim is released
 * and nothing is recorded. A claim left by a crashed API process lapses after the longest box request.
 *
 * Why not `SELECT ... FOR UPDATE` around the box call: the collector writes the box's `decided` event to the same
 * row, and it would wait for this request's whole round trip, holding back every later event of that box.
 */
export async function decide(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  boxes: BoxGateway,
  actor: TenantIdentity,
  decisionId: string,
  input: { choice: DecisionChoice; note?: string | undefined },
  request: RequestFacts = {},
) {
  const row = await decisionRow({ prisma }, actor.tenantId, decisionId);
  if (!row) throw decisionNotFound(decisionId);
  if (row.status !== 'pending' || row.decidedAt) {
    throw new AppError(
      'conflict',
      `Decision ${decisionId} is ${row.status}${row.decidedAt ? ` since ${row.decidedAt.toISOString()}` : ''}; it takes one answer.`,
    );
  }
  const options = optionsOf(row);
  if (options.length > 0 && !options.includes(input.choice)) {
    throw new AppError('unprocessable', `"${input.choice}" is not an option of this decision: ${options.join(', ')}.`, {
      details: [{ path: 'body.choice', message: `must be one of ${options.join(', ')}` }],
    });
  }
  const subject = subjectOf(row);
  const deadline = typeof subject.deadline === 'string' ? Date.parse(subject.deadline) : Number.NaN;
  if (Number.isFinite(deadline) && deadline < Date.now()) {
    throw new AppError('conflict', `Decision ${decisionId} timed out at ${subject.deadline}; its on_timeout applies.`);
  }
  const boxId = row.run.boxId ?? row.boxId;
  const runtimeRunId = row.run.runtimeRunId;
  if (!boxId || !runtimeRunId) throw new AppError('conflict', `Decision ${decisionId} is not on a box.`);

  const by = await deciderLabel(prisma, actor);
  // The chain names who may answer (members by email): refused here, before the box is asked, so the refusal is a
  // clear 403 rather than the box's error, and nothing is claimed. The box checks the same list again.
  const approvers = approversOf(row);
  if (approvers && !approvers.includes(by)) {
    throw new AppError('not_an_approver', `Only ${approvers.join(', ')} may answer this decision; you are ${by}.`, {
      details: [{ message: "not in the decision step's approvers", approvers, you: by }],
    });
  }
  const note = input.note ? input.note : null;
  const claim = randomUUID();
  const until = new Date(Date.now() + boxes.longestRequestMs + CLAIM_MARGIN_MS);
  // Bookkeeping, not a change a reader sees: updated_at stays as it was, and a released claim leaves the row as before.
  const claimed = await prisma.$executeRaw`
    UPDATE decisions
       SET subject = jsonb_set(COALESCE(subject, '{}'::jsonb), '{claim}',
                               jsonb_build_object('id', ${claim}::text, 'until', ${until.toISOString()}::text))
     WHERE id = ${row.id}::uuid AND tenant_id = ${actor.tenantId}::uuid AND status = 'pending' AND decided_at IS NULL
       AND (subject->'claim' IS NULL OR (subject->'claim'->>'until')::timestamptz < now())`;
  if (claimed !== 1)
    throw new AppError('conflict', `Decision ${decisionId} is being answered or was answered meanwhile.`);

  try {
    await boxes.request(boxId, {
      op: 'decide',
      run_id: runtimeRunId,
      step: row.stepName,
      option: input.choice,
      by,
      ...(note ? { note } : {}),
    });
  } catch (error) {
    await prisma.$executeRaw`
      UPDATE decisions SET subject = subject - 'claim'
       WHERE id = ${row.id}::uuid AND subject->'claim'->>'id' = ${claim}`.catch(() => {});
    throw error;
  }

  // The box has it. The collector may already have stored the box's `decided` event: what it wrote is kept.
  const decidedAt = new Date();
  const requested = JSON.stringify({ requested: { choice: input.choice, by, at: decidedAt.toISOString() } });
  await prisma.$transaction([
    prisma.$executeRaw`
      UPDATE decisions
         SET status = ${STATUS_OF[input.choice]}::decision_status, decided_at = COALESCE(decided_at, ${decidedAt}),
             decided_by_api_key_id = ${actor.apiKeyId}::uuid, decided_by_user_id = ${actor.userId}::uuid,
             note = ${note}, delivered_at = COALESCE(delivered_at, now()),
             subject = (COALESCE(subject, '{}'::jsonb) - 'claim') || ${requested}::jsonb, updated_at = now()
       WHERE id = ${row.id}::uuid AND tenant_id = ${actor.tenantId}::uuid`,
    prisma.auditLog.create({
      data: tenantAuditEntry(
        actor,
        `decision.${input.choice}`,
        { type: 'decision', id: row.id },
        { runId: row.runId, step: row.stepName, by, ...(note ? { note } : {}) },
        request,
        { before: { status: row.status }, after: { status: STATUS_OF[input.choice] } },
      ),
    }),
    prisma.$executeRaw`SELECT pg_notify(${CHANGES_CHANNEL}, ${topicKey({ kind: 'decisions', tenantId: actor.tenantId })})`,
  ]);
  const updated = await decisionRow({ prisma }, actor.tenantId, row.id);
  if (!updated) throw decisionNotFound(decisionId);
  return toDecisionReply(updated);
}

/** A claim outlives the longest box request by this much before another answer may take over. */
const CLAIM_MARGIN_MS = 5_000;

/**
 * The name the box records as the decider: the logged-in user's email, or the key's person (what a chain's
 * `approvers` list), else the key.
 */
async function deciderLabel(prisma: PrismaClient, actor: TenantIdentity): Promise<string> {
  if (actor.credential.kind === 'session') return actor.credential.userEmail;
  if (actor.userId) {
    const user = await prisma.user.findFirst({
      where: { id: actor.userId, tenantId: actor.tenantId },
      select: { email: true },
    });
    if (user) return user.email;
  }
  return `api-key:${actor.apiKeyPrefix}`;
}
