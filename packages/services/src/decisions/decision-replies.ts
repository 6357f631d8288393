import type { Prisma } from '@paddock/db';

export const DECISION_SELECT = {
  id: true,
  runId: true,
  stepName: true,
  status: true,
  prompt: true,
  subject: true,
  note: true,
  decidedByApiKeyId: true,
  decidedByUserId: true,
  decidedAt: true,
  deliveredAt: true,
  createdAt: true,
  boxId: true,
  run: { select: { runtimeRunId: true, boxId: true } },
} as const satisfies Prisma.DecisionSelect;

/** The row, with the email of the member who answered (joined from users, in the decision's tenant). */
export type DecisionRow = Prisma.DecisionGetPayload<{ select: typeof DECISION_SELECT }> & {
  decidedByEmail: string | null;
};

export interface DecisionOutput {
  step: string;
  text: string;
  bytes: number;
  truncated: boolean;
}

/** What the `decision_pending` event said, plus what the API and the box recorded when it was decided. */
export interface DecisionSubject {
  options?: unknown;
  deadline?: unknown;
  show?: unknown;
  requested?: { by?: unknown };
  answer?: { by?: unknown };
}

export function subjectOf(row: { subject: Prisma.JsonValue }): DecisionSubject {
  const subject = row.subject;
  return subject && typeof subject === 'object' && !Array.isArray(subject) ? (subject as DecisionSubject) : {};
}

/** The decision step's `approvers` (member emails), or null when anyone in the workspace may answer. */
export function approversOf(row: { subject: Prisma.JsonValue }): string[] | null {
  const approvers = (subjectOf(row) as { approvers?: unknown }).approvers;
  if (!Array.isArray(approvers)) return null;
  const names = approvers.filter((a): a is string => typeof a === 'string');
  return names.length > 0 ? names : null;
}

export function optionsOf(row: { subject: Prisma.JsonValue }): string[] {
  const options = subjectOf(row).options;
  return Array.isArray(options) ? options.filter((o): o is string => typeof o === 'string') : [];
}

export function toDecisionReply(
  row: DecisionRow,
  output: { output: DecisionOutput | null; outputError: string | null } = { output: null, outputError: null },
) {
  const subject = subjectOf(row);
  const label = stringOr(subject.requested?.by) ?? stringOr(subject.answer?.by);
  const decided = row.decidedByApiKeyId || row.decidedByUserId || label;
  return {
    id: row.id,
    runId: row.runId,
    step: row.stepName,
    status: row.status,
    prompt: row.prompt,
    options: optionsOf(row),
    approvers: approversOf(row),
    deadline: stringOr(subject.deadline),
    note: row.note,
    decidedBy: decided
      ? { apiKeyId: row.decidedByApiKeyId, userId: row.decidedByUserId, email: row.decidedByEmail, label }
      : null,
    decidedAt: row.decidedAt?.toISOString() ?? null,
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    ...output,
  };
}

function stringOr(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
