/**
 * Job state as operators read it: one row per job in Postgres, written by whoever enqueues and whoever runs the
 * job. Redis holds the queue; Postgres holds the story (status, attempts, which worker, the last error).
 */
export type JobStatus = 'queued' | 'running' | 'retrying' | 'succeeded' | 'failed';

export interface JobRecordInput {
  id: string;
  queue: string;
  name: string;
  payload: unknown;
  maxAttempts: number;
  tenantId?: string | undefined;
  boxId?: string | undefined;
}

export interface JobRecords {
  create(input: JobRecordInput): Promise<void>;
  markRunning(id: string, attempt: number, workerId: string): Promise<void>;
  markSucceeded(id: string, attempt: number, workerId: string, output: unknown): Promise<void>;
  /** `final` is false when BullMQ will try again: the record says `retrying` until the last attempt fails. */
  markFailed(id: string, attempt: number, workerId: string, error: string, final: boolean): Promise<void>;
}
