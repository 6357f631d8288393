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

interface RunSummaryRow {
  id: string;
  chainId: string;
  chainVersionId: string | null;
  status: 'queued' | 'running' | 'waiting_decision' | 'succeeded' | 'failed' | 'canceled';
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

export type RunSummary = ReturnType<typeof toRunSummary>;

export function toRunSummary(row: RunSummaryRow) {
  return {
    id: row.id,
    chain: { id: row.chainId, name: row.chain.name },
    chainVersionId: row.chainVersionId,
    status: row.status,
    error: row.error,
    ...money(row),
    durationMs: row.durationMs,
    replayOfRunId: row.replayOfRunId,
    replayFromStep: row.replayFromStep,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
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
