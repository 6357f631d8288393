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
 * A person's answer to a pending decision. Who decided and when are claimed in Postgres first, atomically (a second
 * answer, concurrent or later, is a 409), then the box is told (`decide` with `--by`); if the box refuses (deadline
 * passed, already decided there, not an approver) or cannot be reached, the claim is undone and nothing remains.
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
  const original = (row.subject ?? {}) as Prisma.InputJsonObject;
  const claimed = await prisma.decision.updateMany({
    where: { id: row.id, tenantId: actor.tenantId, status: 'pending', decidedAt: null },
    data: {
      decidedAt,
      decidedByApiKeyId: actor.apiKeyId,
      decidedByUserId: actor.userId,
      note,
      subject: { ...original, requested: { choice: input.choice, by, at: decidedAt.toISOString() } },
    },
  });
  if (claimed.count !== 1) throw new AppError('conflict', `Decision ${decisionId} was answered meanwhile.`);

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
    // Undo only our own claim, and only if the box has not recorded a decision for it since (the collector).
    await prisma.decision.updateMany({
      where: { id: row.id, decidedAt, decidedByApiKeyId: actor.apiKeyId, deliveredAt: null },
      data: { decidedAt: null, decidedByApiKeyId: null, decidedByUserId: null, note: row.note, subject: original },
    });
    throw error;
  }
  const deliveredAt = new Date();
  await prisma.$transaction([
    prisma.decision.updateMany({
      where: { id: row.id, deliveredAt: null },
      data: { status: STATUS_OF[input.choice], deliveredAt },
    }),
    prisma.auditLog.create({
      data: tenantAuditEntry(
        actor,
        `decision.${input.choice}`,
        { type: 'decision', id: row.id },
        { runId: row.runId, step: row.stepName, by, ...(note ? { note } : {}) },
        request,
      ),
    }),
  ]);
  const updated = await prisma.decision.findUniqueOrThrow({ where: { id: row.id }, select: DECISION_SELECT });
  return toDecisionReply(updated);
}

/** The name the box records as the decider: the key's person (what a chain's `approvers` list), else the key. */
async function deciderLabel(prisma: PrismaClient, actor: TenantIdentity): Promise<string> {
  if (actor.userId) {
    const user = await prisma.user.findFirst({
      where: { id: actor.userId, tenantId: actor.tenantId },
      select: { email: true },
    });
    if (user) return user.email;
  }
  return `api-key:${actor.apiKeyPrefix}`;
}
