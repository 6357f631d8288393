import { AppError } from '@paddock/contracts';
import type { Prisma, PrismaClient } from '@paddock/db';
import type { BoxGateway } from '../boxes/box-gateway';
import { type RequestFacts, type TenantIdentity, tenantAuditEntry } from '../tenants/tenant-identity';
import { DECISION_SELECT, optionsOf, subjectOf, toDecisionReply } from './decision-replies';
import { decisionNotFound } from './list-decisions';

export type DecisionChoice = 'approve' | 'reject' | 'request_changes';

const STATUS_OF: Record<DecisionChoice, 'approved' | 'rejected' | 'changes_requested'> = {
  approve: 'approved',
  reject: 'rejected',
  request_changes: 'changes_requested',
};

/**
 * A person's answer to a pending decision: the box is told (`decide` with `--by`) while the decision's row is locked,
 * and who decided, when, and the note are recorded in the same transaction (with an audit row). A second answer,
 * concurrent or later, is a 409; if the box refuses (deadline passed, already decided there, not an approver) or
 * cannot be reached, nothing is recorded.
 */
export async function decide(
  prisma: PrismaClient,
  boxes: BoxGateway,
  actor: TenantIdentity,
  decisionId: string,
  input: { choice: DecisionChoice; note?: string | undefined },
  request: RequestFacts = {},
) {
  const row = await prisma.decision.findFirst({
    where: { id: decisionId, tenantId: actor.tenantId },
    select: DECISION_SELECT,
  });
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
  const note = input.note ? input.note : null;
  const decidedAt = new Date();
  // The row stays locked while the box is asked: a concurrent answer waits and then sees this one (409), and if
  // the box refuses or cannot be reached the transaction rolls back, so nothing at all was written.
  await prisma.$transaction(
    async (tx) => {
      const locked = await tx.$queryRaw<Array<{ status: string; decided_at: Date | null }>>`
        SELECT status::text AS status, decided_at FROM decisions
         WHERE id = ${row.id}::uuid AND tenant_id = ${actor.tenantId}::uuid FOR UPDATE`;
      const current = locked[0];
      if (current?.status !== 'pending' || current.decided_at) {
        throw new AppError('conflict', `Decision ${decisionId} was answered meanwhile.`);
      }
      await boxes.request(boxId, {
        op: 'decide',
        run_id: runtimeRunId,
        step: row.stepName,
        option: input.choice,
        by,
        ...(note ? { note } : {}),
      });
      await tx.decision.update({
        where: { id: row.id },
        data: {
          status: STATUS_OF[input.choice],
          decidedAt,
          decidedByApiKeyId: actor.apiKeyId,
          decidedByUserId: actor.userId,
          note,
          deliveredAt: new Date(),
          subject: {
            ...((row.subject ?? {}) as Prisma.InputJsonObject),
            requested: { choice: input.choice, by, at: decidedAt.toISOString() },
          },
        },
      });
      await tx.auditLog.create({
        data: tenantAuditEntry(
          actor,
          `decision.${input.choice}`,
          { type: 'decision', id: row.id },
          { runId: row.runId, step: row.stepName, by, ...(note ? { note } : {}) },
          request,
        ),
      });
    },
    { maxWait: 10_000, timeout: boxes.longestRequestMs + 5_000 },
  );
  const updated = await prisma.decision.findUniqueOrThrow({ where: { id: row.id }, select: DECISION_SELECT });
  return toDecisionReply(updated);
}

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
