import type { PrismaClient, WorkflowKind } from '@paddock/db';
import type { Logger } from '@paddock/platform';

/** What a step sees: the workflow as it stands, the outputs of the steps before it, and a way to stop early. */
export interface WorkflowStepContext {
  prisma: PrismaClient;
  workflowId: string;
  tenantId: string;
  boxId: string | null;
  /** Outputs of the steps that already succeeded, by step name. */
  outputs: Record<string, unknown>;
  attempt: number;
  signal: AbortSignal;
  logger: Logger;
}

export interface WorkflowStep {
  name: string;
  /**
   * Must be idempotent: a step can run again after a crash between its effect and its record (at-least-once).
   * Returns a small JSON-able output kept in the workflow's state for later steps and for operators.
   */
  run(context: WorkflowStepContext): Promise<unknown>;
}

export interface WorkflowDefinition {
  kind: WorkflowKind;
  steps: WorkflowStep[];
  /** After the last step: e.g. the tenant becomes `active`. Runs in the same transaction as the status change. */
  onSucceeded?(tx: PrismaClient, workflow: { id: string; tenantId: string }): Promise<void>;
  /** When a step has used its last attempt: e.g. the tenant is parked in `provisioning_failed` with the reason. */
  onFailed?(tx: PrismaClient, workflow: { id: string; tenantId: string }, reason: string): Promise<void>;
}

export type WorkflowRegistry = Partial<Record<WorkflowKind, WorkflowDefinition>>;

export function defineWorkflow(definition: WorkflowDefinition): WorkflowDefinition {
  const names = new Set(definition.steps.map((s) => s.name));
  if (names.size !== definition.steps.length) throw new Error(`workflow ${definition.kind} has duplicate step names`);
  return definition;
}
