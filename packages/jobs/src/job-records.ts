/**
 * Job state as operators read it: one row per job in Postgres, written by whoever enqueues and whoever runs the
 * job. Redis holds the queue; Postgres holds the story (status, attempts, which worker, the last error).
 */
export type JobStatus = 'queued' | 'running' | 'retrying' | 'succeeded' | 'failed';

/** A job is named by its queue and BullMQ job id (unique together), the same on both sides of Redis. */
export interface JobRef {
  queue: string;
  jobId: string;
}

export interface JobRecordInput extends JobRef {
  name: string;
  payload: unknown;
  maxAttempts: number;
  tenantId?: string | undefined;
  boxId?: string | undefined;
  /** The API request (or the job) that enqueued this one: its work on boxes carries the same id. */
  requestId?: string | undefined;
}

/** What the worker learns from the record as it starts an attempt. */
export interface RunningJobFacts {
  /** The request id written when the job was enqueued, or null (enqueued outside any request). */
  requestId: string | null;
}

export interface JobRecords {
  /** Idempotent: creating a record for a job that has one already keeps the existing row and returns its id. */
  create(input: JobRecordInput): Promise<{ id: string }>;
  markRunning(ref: JobRef, attempt: number, workerId: string): Promise<RunningJobFacts>;
  markSucceeded(ref: JobRef, attempt: number, workerId: string, output: unknown): Promise<void>;
  /** `final` is false when BullMQ will try again: the record says `retrying` until the last attempt fails. */
  markFailed(ref: JobRef, attempt: number, workerId: string, error: string, final: boolean): Promise<void>;
}
