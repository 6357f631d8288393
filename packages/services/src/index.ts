export { runProbe, type ProbeResult } from './diagnostics/run-probe';
export { enqueueProbe } from './jobs/enqueue-probe';
export { getJobRecord, listJobRecords, type ListJobRecordsInput } from './jobs/list-job-records';
export {
  authenticateOperator,
  loginOperator,
  logoutOperator,
  OPERATOR_SESSION_TTL_MS,
  type OperatorIdentity,
} from './operators/operator-sessions';
export { advanceWorkflow, type AdvanceDeps, type AdvanceResult } from './workflows/advance-workflow';
export {
  defineWorkflow,
  type WorkflowDefinition,
  type WorkflowRegistry,
  type WorkflowStep,
  type WorkflowStepContext,
} from './workflows/define-workflow';
export { retryWorkflow } from './workflows/retry-workflow';
export { startWorkflow } from './workflows/start-workflow';
