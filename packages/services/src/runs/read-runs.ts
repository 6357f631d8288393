import { decodeCreatedAtCursor, encodeCreatedAtCursor } from '../pagination/created-at-cursor';
import type { RunStatus } from '@paddock/contracts';
import { runNotFound } from './find-run';
import { type RunSummary, runSummary } from './run-replies';
import { runDetailRow, runPageRows } from './run-rows';
import { stepsWithAttempts } from './step-attempts';
import type { ServiceClients } from '../clients';

export interface ListRunsInput {
  status?: RunStatus | undefined;
  chain?: string | undefined;
  since?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The tenant's runs, newest first, a page at a time (keyset on created_at, id: stable while runs are added). */
export async function listRuns(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  tenantId: string,
  input: ListRunsInput,
): Promise<{ runs: RunSummary[]; nextCursor: string | null }> {
  const rows = await runPageRows({ prisma }, tenantId, {
    status: input.status,
    chain: input.chain,
    since: input.since === undefined ? undefined : new Date(input.since),
    before: input.cursor === undefined ? undefined : keysetPosition(input.cursor),
    take: input.limit + 1,
  });
  const page = rows.length > input.limit ? rows.slice(0, input.limit) : rows;
  const last = page[page.length - 1];
  return {
    runs: page.map(runSummary),
    nextCursor: rows.length > input.limit && last ? encodeCreatedAtCursor(new Date(last.createdAt), last.id) : null,
  };
}

function keysetPosition(cursor: string): { createdAt: Date; id: string } {
  const position = decodeCreatedAtCursor(cursor);
  // The cursor format admits 36 characters of hex and dashes; only a real UUID may reach the ::uuid cast (anything
  // else would be a database error, not the 400 every other foreign cursor gets).
  return UUID_PATTERN.test(position.id) ? position : decodeCreatedAtCursor('');
}

/** One run with its steps, each with every attempt, and its pending decisions. */
export async function getRun({ prisma }: Pick<ServiceClients, 'prisma'>, tenantId: string, runId: string) {
  const row = await runDetailRow({ prisma }, tenantId, runId);
  if (!row) throw runNotFound(runId);
  return {
    ...runSummary(row),
    inputs: (row.inputs ?? {}) as Record<string, unknown>,
    steps: stepsWithAttempts(row.steps),
    pendingDecisionIds: row.pendingDecisionIds,
  };
}
