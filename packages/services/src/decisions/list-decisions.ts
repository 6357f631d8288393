import { AppError, STEP_NAME_PATTERN } from '@paddock/contracts';
import { Prisma, type PrismaClient } from '@paddock/db';
import type { BoxGateway } from '../boxes/box-gateway';
import { type DecisionOutput, type DecisionRow, subjectOf, toDecisionReply } from './decision-replies';
import { decisionRow } from './decision-rows';
import { decodeCreatedAtCursor, encodeCreatedAtCursor } from '../pagination/created-at-cursor';
import type { ServiceClients } from '../clients';

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
  { prisma }: Pick<ServiceClients, 'prisma'>,
  boxes: BoxGateway,
  tenantId: string,
  input: ListDecisionsInput,
): Promise<{ decisions: DecisionReply[]; nextCursor: string | null }> {
  const after = input.cursor === undefined ? undefined : decodeCreatedAtCursor(input.cursor);
  const rows = await decisionPageRows(prisma, tenantId, { ...input, after, take: input.limit + 1 });
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
  { prisma }: Pick<ServiceClients, 'prisma'>,
  boxes: BoxGateway,
  tenantId: string,
  decisionId: string,
  outputBytes: number,
): Promise<DecisionReply> {
  const row = await decisionRow({ prisma }, tenantId, decisionId);
  if (!row) throw decisionNotFound(decisionId);
  return toDecisionReply(row, await outputToJudge(boxes, row, outputBytes));
}

interface JoinedDecisionRow extends Omit<DecisionRow, 'run'> {
  runtimeRunId: string | null;
  runBoxId: string | null;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A page of the tenant's decisions with each one's run (where its output lives) joined: one query where Prisma
 * sends two. Status, then `(created_at, id) > (...)`: one range of decisions_tenant_id_status_created_at_id_idx.
 */
async function decisionPageRows(
  prisma: PrismaClient,
  tenantId: string,
  page: Pick<ListDecisionsInput, 'status' | 'runId'> & { after?: { createdAt: Date; id: string }; take: number },
): Promise<DecisionRow[]> {
  const conditions = [
    Prisma.sql`d.tenant_id = ${tenantId}::uuid`,
    Prisma.sql`d.status = ${page.status}::decision_status`,
  ];
  if (page.runId) conditions.push(Prisma.sql`d.run_id = ${page.runId}::uuid`);
  if (page.after) {
    // The cursor format admits any 36 characters of hex and dashes; only a UUID may reach the ::uuid cast.
    if (!UUID_PATTERN.test(page.after.id)) decodeCreatedAtCursor('');
    conditions.push(
      Prisma.sql`(d.created_at, d.id) > (${page.after.createdAt.toISOString()}::timestamptz, ${page.after.id}::uuid)`,
    );
  }
  const rows = await prisma.$queryRaw<JoinedDecisionRow[]>`
    SELECT d.id, d.run_id AS "runId", d.step_name AS "stepName", d.status::text AS status, d.prompt, d.subject,
           d.note, d.decided_by_api_key_id AS "decidedByApiKeyId", d.decided_by_user_id AS "decidedByUserId",
           d.decided_at AS "decidedAt", d.delivered_at AS "deliveredAt", d.created_at AS "createdAt",
           d.box_id AS "boxId", r.runtime_run_id AS "runtimeRunId", r.box_id AS "runBoxId",
           u.email AS "decidedByEmail"
      FROM decisions d JOIN runs r ON r.id = d.run_id
      LEFT JOIN users u ON u.id = d.decided_by_user_id AND u.tenant_id = d.tenant_id
     WHERE ${Prisma.join(conditions, ' AND ')}
     ORDER BY d.created_at, d.id
     LIMIT ${page.take}`;
  return rows.map(({ runtimeRunId, runBoxId, ...row }) => ({ ...row, run: { runtimeRunId, boxId: runBoxId } }));
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
