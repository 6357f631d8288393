import type { z } from 'zod';

export interface JobDefinition<Name extends string = string, Payload extends z.ZodType = z.ZodType> {
  name: Name;
  /** BullMQ queue the job goes to; queues split work that must not wait behind other work (deploys vs. ingest). */
  queue: QueueName;
  payload: Payload;
  attempts: number;
  backoff: { type: 'exponential' | 'fixed'; delayMs: number };
  /** A handler still running after this is aborted and the attempt counts as failed. */
  timeoutMs: number;
  description: string;
}

export const QUEUE_NAMES = ['control', 'provisioning', 'fleet', 'collect'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export function defineJob<Name extends string, Payload extends z.ZodType>(
  definition: JobDefinition<Name, Payload>,
): JobDefinition<Name, Payload> {
  return definition;
}
