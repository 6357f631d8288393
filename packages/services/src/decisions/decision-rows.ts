import { Prisma } from '@paddock/db';
import type { DecisionRow } from './decision-replies';
import type { ServiceClients } from '../clients';

interface JoinedRow extends Omit<DecisionRow, 'run'> {
  runtimeRunId: string | null;
  runBoxId: string | null;
}

// What DECISION_SELECT reads, with the run joined: ONE query where Prisma sends two (it reads relations apart).
const SELECT_JOINED = Prisma.sql`
  SELECT d.id, d.run_id AS "runId", d.step_name AS "stepName", d.status::text AS status, d.prompt, d.subject, d.note,
         d.decided_by_api_key_id AS "decidedByApiKeyId", d.decided_by_user_id AS "decidedByUserId",
         d.decided_at AS "decidedAt", d.delivered_at AS "deliveredAt", d.created_at AS "createdAt", d.box_id AS "boxId",
         r.runtime_run_id AS "runtimeRunId", r.box_id AS "runBoxId", u.email AS "decidedByEmail"
    FROM decisions d JOIN runs r ON r.id = d.run_id
    LEFT JOIN users u ON u.id = d.decided_by_user_id AND u.tenant_id = d.tenant_id`;

function shaped(rows: JoinedRow[]): DecisionRow[] {
  return rows.map(({ runtimeRunId, runBoxId, ...row }) => ({ ...row, run: { runtimeRunId, boxId: runBoxId } }));
}

/** A tenant's pending decisions, oldest first (decision streams read this on every change of them). */
export async function pendingDecisionRows(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  tenantId: string,
  limit: number,
): Promise<DecisionRow[]> {
  return shaped(
    await prisma.$queryRaw<JoinedRow[]>`${SELECT_JOINED}
      WHERE d.tenant_id = ${tenantId}::uuid AND d.status = 'pending'
      ORDER BY d.created_at, d.id
      LIMIT ${limit}`,
  );
}

/** One decision of the tenant; another tenant's is not found (undefined). */
export async function decisionRow(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  tenantId: string,
  id: string,
): Promise<DecisionRow | undefined> {
  const rows = await prisma.$queryRaw<JoinedRow[]>`${SELECT_JOINED}
    WHERE d.id = ${id}::uuid AND d.tenant_id = ${tenantId}::uuid`;
  return shaped(rows)[0];
}
