import { z } from 'zod';
import { PG_INT_MAX } from '../box-limits';

/** `GET /v1/runs/:id/steps/:step/terminal`: which attempt (default: the step's current one). */
export const StepTerminalQuerySchema = z
  .object({
    attempt: z.coerce.number().int().min(1).max(PG_INT_MAX).optional(),
  })
  .strict();
export type StepTerminalQuery = z.output<typeof StepTerminalQuerySchema>;

const Offset = z.number().int().min(0);

/**
 * The stream's Server-Sent Events, in order: one `start`, any number of `output`, one `end`; comments keep the
 * connection alive. `data` of each is one JSON object.
 */
export const TerminalStartEventSchema = z.object({
  runId: z.string(),
  step: z.string(),
  attempt: z.number().int(),
  /** The log's size when the stream opened. */
  size: Offset,
  /** Where the replay starts: the log's first `skippedBytes` bytes are not sent (a long log replays its tail). */
  offset: Offset,
  skippedBytes: Offset,
});

/** Bytes of the terminal exactly as the program wrote them (escape sequences and all), base64. */
export const TerminalOutputEventSchema = z.object({ offset: Offset, data: z.string() });

/**
 * Why the stream ended: `ended` (the attempt is over; every byte was sent), `limit` (the stream carried its byte
 * allowance), `timeout` (it was open for its longest time), `failed` (the box could not read on), `box_lost` (the
 * box stopped answering), `protocol` (the box sent something malformed), `stopped`.
 */
export const TerminalEndEventSchema = z.object({
  reason: z.enum(['ended', 'limit', 'timeout', 'failed', 'box_lost', 'protocol', 'stopped']),
  /** The next byte that was not sent. */
  offset: Offset,
  /** The step's status as the box last said it. */
  status: z.string().nullable(),
  message: z.string().optional(),
});
