import type { StepStatus } from '@paddock/contracts';
import { Prisma } from '@paddock/db';
import type { RunSummaryTextRow } from './run-replies';
import type { ServiceClients } from '../clients';

/**
 * The tenant read paths of runs as single joined queries. Prisma reads every relation in a query of its own (a run
 * page is two round trips, a run with its steps and decisions four), and its per-query work is most of an API
 * request's CPU; these read the same columns in one statement each, always scoped by tenant.
 */

export type JoinedRunRow = RunSummaryTextRow;

// timestamptz(3) as Date#toISOString writes it, whatever the session's TimeZone.
const isoOf = (column: Prisma.Sql) =>
  Prisma.sql`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

// RUN_SUMMARY_SELECT's columns, with the chain's name joined and the instants as the API writes them.
const SUMMARY_COLUMNS = Prisma.sql`
  r.id, r.chain_id AS "chainId", r.chain_version_id AS "chainVersionId", r.status::text AS status, r.error,
  r.tokens_in AS "tokensIn", r.tokens_out AS "tokensOut", r.cost_micros AS "costMicros", r.duration_ms AS "durationMs",
  r.replay_of_run_id AS "replayOfRunId", r.replay_from_step AS "replayFromStep",
  ${isoOf(Prisma.sql`r.created_at`)} AS "createdAt", ${isoOf(Prisma.sql`r.started_at`)} AS "startedAt",
  ${isoOf(Prisma.sql`r.finished_at`)} AS "finishedAt", c.name AS "chainName"`;

export interface RunPageFilter {
  status?: JoinedRunRow['status'] | undefined;
  chain?: string | undefined;
  since?: Date | undefined;
  /** Keyset position: rows strictly before (created_at, id), newest first. */
  before?: { createdAt: Date; id: string } | undefined;
  take: number;
}

/**
 * A page of the tenant's runs, newest first. The keyset is a row comparison, `(created_at, id) < (...)`: one range
 * of runs_tenant_id_status_created_at_id_idx with a status (of runs_tenant_id_created_at_idx without), so a page
 * deep in a large tenant, or of a rare status, costs what the first one does.
 */
export async function runPageRows({ prisma }: Pick<ServiceClients, 'prisma'>, tenantId: string, filter: RunPageFilter) {
  const conditions = [Prisma.sql`r.tenant_id = ${tenantId}::uuid`];
  if (filter.status) conditions.push(Prisma.sql`r.status = ${filter.status}::run_status`);
  if (filter.chain) conditions.push(Prisma.sql`c.name = ${filter.chain}`);
  // Instants travel as ISO text with their `Z`: a bare Date parameter is read in the session's time zone.
  if (filter.since) conditions.push(Prisma.sql`r.created_at >= ${filter.since.toISOString()}::timestamptz`);
  if (filter.before) {
    conditions.push(
      Prisma.sql`(r.created_at, r.id) < (${filter.before.createdAt.toISOString()}::timestamptz, ${filter.before.id}::uuid)`,
    );
  }
  return prisma.$queryRaw<JoinedRunRow[]>`
    SELECT ${SUMMARY_COLUMNS}
      FROM runs r JOIN chains c ON c.id = r.chain_id
     WHERE ${Prisma.join(conditions, ' AND ')}
     ORDER BY r.created_at DESC, r.id DESC
     LIMIT ${filter.take}`;
}

export interface RunStepJson {
  name: string;
  position: number;
  attempt: number;
  status: StepStatus;
  model: string | null;
  tokensIn: number;
  tokensOut: number;
  /** Text: a bigint does not survive JSON as a number. */
  costMicros: string;
  durationMs: number | null;
  exitCode: number | null;
  error: string | null;
  /** Already in the API's form (Date#toISOString): UTC, milliseconds, `Z`. */
  startedAt: string | null;
  finishedAt: string | null;
}

export interface RunDetailRow extends JoinedRunRow {
  inputs: Prisma.JsonValue;
  steps: RunStepJson[];
  pendingDecisionIds: string[];
}

/** One run of the tenant with every step attempt (position, attempt order) and its pending decisions' ids. */
export async function runDetailRow(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  tenantId: string,
  runId: string,
): Promise<RunDetailRow | undefined> {
  const rows = await prisma.$queryRaw<RunDetailRow[]>`
    SELECT ${SUMMARY_COLUMNS}, r.inputs,
           COALESCE((
             SELECT json_agg(json_build_object(
                      'name', s.name, 'position', s.position, 'attempt', s.attempt, 'status', s.status,
                      'model', s.model, 'tokensIn', s.tokens_in, 'tokensOut', s.tokens_out,
                      'costMicros', s.cost_micros::text, 'durationMs', s.duration_ms, 'exitCode', s.exit_code,
                      'error', s.error, 'startedAt', ${isoOf(Prisma.sql`s.started_at`)},
                      'finishedAt', ${isoOf(Prisma.sql`s.finished_at`)})
                      ORDER BY s.position, s.attempt)
               FROM run_steps s
              WHERE s.run_id = r.id AND s.tenant_id = r.tenant_id
           ), '[]'::json) AS steps,
           ARRAY(
             SELECT d.id::text FROM decisions d
              WHERE d.run_id = r.id AND d.tenant_id = r.tenant_id AND d.status = 'pending'
              ORDER BY d.created_at, d.id
           ) AS "pendingDecisionIds"
      FROM runs r JOIN chains c ON c.id = r.chain_id
     WHERE r.id = ${runId}::uuid AND r.tenant_id = ${tenantId}::uuid`;
  return rows[0];
}
