import { microsToMinor } from '../usage/read-usage';

/** The columns a run summary is made of (Prisma names). */
export const RUN_SUMMARY_SELECT = {
  id: true,
  chainId: true,
  chainVersionId: true,
  status: true,
  error: true,
  tokensIn: true,
  tokensOut: true,
  costMicros: true,
  durationMs: true,
  replayOfRunId: true,
  replayFromStep: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
  chain: { select: { name: true } },
} as const;

export interface RunSummaryRow {
  id: string;
  chainId: string;
  chainVersionId: string | null;
  status: 'queued' | 'running' | 'waiting_decision' | 'succeeded' | 'failed' | 'canceled' | 'lost';
  error: string | null;
  tokensIn: number;
  tokensOut: number;
  costMicros: bigint;
  durationMs: number | null;
  replayOfRunId: string | null;
  replayFromStep: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  chain: { name: string };
}

/** A run summary's row with its instants already in the API's text form and its chain's name (run-rows.ts). */
export interface RunSummaryTextRow extends Omit<RunSummaryRow, 'chain' | 'createdAt' | 'startedAt' | 'finishedAt'> {
  chainName: string;
  /** Date#toISOString's form: UTC, milliseconds, `Z`. */
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export type RunSummary = ReturnType<typeof runSummary>;

export function toRunSummary(row: RunSummaryRow) {
  return runSummary({
    ...row,
    chainName: row.chain.name,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
  });
}

/**
 * The summary itself. Lists build fifty of these per request: the rows come from SQL with their instants as text,
 * since Date parsing and toISOString were most of the time spent shaping a page.
 */
export function runSummary(row: RunSummaryTextRow) {
  return {
    id: row.id,
    chain: { id: row.chainId, name: row.chainName },
    chainVersionId: row.chainVersionId,
    status: row.status,
    error: row.error,
    ...money(row),
    durationMs: row.durationMs,
    replayOfRunId: row.replayOfRunId,
    replayFromStep: row.replayFromStep,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}

export function money(row: { tokensIn: number; tokensOut: number; costMicros: bigint }) {
  return {
    tokensIn: row.tokensIn,
    tokensOut: row.tokensOut,
    costMicros: row.costMicros.toString(),
    costMinor: microsToMinor(row.costMicros),
  };
}
