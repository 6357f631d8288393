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
