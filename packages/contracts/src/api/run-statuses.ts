/*
 * The control plane's run and step statuses: what `runs.status` and `run_steps.status` hold in Postgres and what the
 * API answers. Defined here once; the services use these types, and the Prisma enums (prisma/schema.prisma, which
 * cannot import them) are checked against them at compile time in packages/db/src/status-vocabulary.ts.
 * The box speaks its own vocabulary (BoxRunStatus, BoxStepStatus in events-schema.ts); the collector maps one to the
 * other (services collect/).
 */

// `lost`: the box's runtime daemon was not seen for a set time; not final (the box coming back moves it on).
export const RUN_STATUS_VALUES = [
  'queued',
  'running',
  'waiting_decision',
  'succeeded',
  'failed',
  'canceled',
  'lost',
] as const;
export type RunStatus = (typeof RUN_STATUS_VALUES)[number];

export const STEP_STATUS_VALUES = [
  'pending',
  'running',
  'waiting_decision',
  'succeeded',
  'failed',
  'skipped',
  'canceled',
] as const;
export type StepStatus = (typeof STEP_STATUS_VALUES)[number];
