import { AppError, STEP_NAME_PATTERN } from '@paddock/contracts';
import type { Prisma, PrismaClient } from '@paddock/db';
import type { BoxGateway } from '../boxes/box-gateway';
import { DECISION_SELECT, type DecisionOutput, type DecisionRow, subjectOf, toDecisionReply } from './decision-replies';
import { decodeCreatedAtCursor, encodeCreatedAtCursor } from '../pagination/created-at-cursor';

export interface ListDecisionsInput {
  status: 'pending' | 'approved' | 'rejected' | 'changes_requested' | 'canceled';
  runId?: string | undefined;
  outputBytes: number;
  limit: number;
  cursor?: string | undefined;
}

export type DecisionReply = ReturnType<typeof toDecisionReply>;

/**
 * The tenant's decisions (pending by default), oldest first, each with the start of the output it asks a person to
 * judge. The list is Postgres's; only the output is read from the box, and a box that does not answer leaves
 * `output` empty with the reason instead of failing the list.
 */
export async function listDecisions(
  prisma: PrismaClient,
  boxes: BoxGateway,
  tenantId: string,
  input: ListDecisionsInput,
): Promise<{ decisions: DecisionReply[]; nextCursor: string | null }> {
  const after = input.cursor === undefined ? undefined : decodeCreatedAtCursor(input.cursor);
  const where: Prisma.DecisionWhereInput = {
    tenantId,
    status: input.status,
    ...(input.runId ? { runId: input.runId } : {}),
    ...(after
      ? { OR: [{ createdAt: { gt: after.createdAt } }, { createdAt: after.createdAt, id: { gt: after.id } }] }
      : {}),
  };
  const rows = await prisma.decision.findMany({
    where,
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    take: input.limit + 1,
    select: DECISION_SELECT,
  });
  const page = rows.slice(0, input.limit);
  const outputs = await Promise.all(page.map((row) => outputToJudge(boxes, row, input.outputBytes)));
  const last = page[page.length - 1];
  return {
    decisions: page.map((row, i) => toDecisionReply(row, outputs[i])),
    nextCursor: rows.length > input.limit && last ? encodeCreatedAtCursor(last.createdAt, last.id) : null,
  };
}

/** One decision of the tenant; another tenant's is not found. */
export async function getDecision(
  prisma: PrismaClient,
  boxes: BoxGateway,
  tenantId: string,
  decisionId: string,
  outputBytes: number,
): Promise<DecisionReply> {
  const row = await prisma.decision.findFirst({ where: { id: decisionId, tenantId }, select: DECISION_SELECT });
  if (!row) throw decisionNotFound(decisionId);
  return toDecisionReply(row, await outputToJudge(boxes, row, outputBytes));
}

export function decisionNotFound(id: string): AppError {
  return new AppError('not_found', `There is no decision ${id}.`);
}

export async function outputToJudge(
  boxes: BoxGateway,
  row: DecisionRow,
  maxBytes: number,
): Promise<{ output: DecisionOutput | null; outputError: string | null }> {
  const show = subjectOf(row).show;
  const boxId = row.run.boxId ?? row.boxId;
  const runtimeRunId = row.run.runtimeRunId;
  if (maxBytes === 0 || typeof show !== 'string' || !STEP_NAME_PATTERN.test(show)) {
    return { output: null, outputError: null };
  }
  if (!boxId || !runtimeRunId) return { output: null, outputError: 'not_on_box' };
  try {
    const file = await boxes.readStepOutput(boxId, runtimeRunId, show, maxBytes);
    if (!file) return { output: null, outputError: 'not_found' };
    const chunks: Buffer[] = [];
    let length = 0;
    for await (const chunk of file.stream) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      chunks.push(buffer.subarray(0, Math.max(0, maxBytes - length)));
      length += buffer.length;
    }
    const text = Buffer.concat(chunks).toString('utf8');
    return { output: { step: show, text, bytes: file.size, truncated: file.size > maxBytes }, outputError: null };
  } catch (error) {
    return { output: null, outputError: error instanceof AppError ? error.code : 'box_unavailable' };
  }
}
