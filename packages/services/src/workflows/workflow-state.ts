import { z } from 'zod';

const StepRecordSchema = z.object({
  status: z.literal('succeeded'),
  finishedAt: z.string(),
  attempts: z.number().int(),
  output: z.unknown(),
});

/** workflows.state: which steps are done (so a resumed or retried workflow skips them) and the retry round. */
export const WorkflowStateSchema = z
  .object({
    round: z.number().int().min(0).default(0),
    steps: z.record(z.string(), StepRecordSchema).default({}),
  })
  .passthrough();

export type WorkflowState = z.output<typeof WorkflowStateSchema>;

export function readWorkflowState(raw: unknown): WorkflowState {
  const parsed = WorkflowStateSchema.safeParse(raw ?? {});
  // State written by an older version that does not parse is treated as "nothing done": steps are idempotent.
  return parsed.success ? parsed.data : { round: 0, steps: {} };
}

export function stepOutputs(state: WorkflowState): Record<string, unknown> {
  return Object.fromEntries(Object.entries(state.steps).map(([name, record]) => [name, record.output]));
}

/** BullMQ job ids may not contain ':'; one job per workflow, retry round and step. */
export function workflowJobId(workflowId: string, round: number, stepIndex: number): string {
  return `wf-${workflowId}-r${round}-s${stepIndex}`;
}
