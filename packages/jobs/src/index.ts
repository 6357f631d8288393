export { jobCatalog, isJobName, type JobCatalog, type JobName, type JobPayload } from './catalog';
export { defineJob, QUEUE_NAMES, type JobDefinition, type QueueName } from './define-job';
export { addJobToQueue, enqueueJob, type EnqueueOptions } from './enqueue';
export type { JobRecordInput, JobRecords, JobRef, JobStatus, RunningJobFacts } from './job-records';
export { createQueues, closeQueues, type Queues } from './queues';
export { JobTimeoutError, runWithTimeout } from './run-with-timeout';
export {
  type JobContext,
  type JobHandlers,
  type JobObserver,
  startWorkers,
  type WorkerOptions,
} from './start-workers';
export { registerSchedules, SCHEDULES } from './schedules';
export { createPrismaJobRecords } from './prisma-job-records';
