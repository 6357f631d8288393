import { AppError, type RunEvent, RunEventSchema } from '@paddock/contracts';
import type { Pool } from 'pg';
import { LineReader } from '@paddock/fleet';
import { EventRowBatch } from './event-rows';
import { importEventRows } from './ingest-events';
import type { ServiceClients } from '../clients';

export interface NdjsonIngestOptions {
  /** Events per transaction at most (the first ones are smaller). Default 5,000. */
  batchSize?: number;
  /** Longest line accepted. Default 1 MiB (an event file is a few hundred bytes). */
  maxLineBytes?: number;
}

export interface NdjsonIngestResult {
  lines: number;
  events: number;
  inserted: number;
  duplicates: number;
  batches: number;
  ms: number;
}

/**
 * Ingests a box's events from NDJSON (one event a line, as `chainctl events --json` prints them; a `cursor` field is
 * ignored) through the collector's own write path: idempotent rows, runs, steps and decisions projected, in batches
 * of one transaction each. The next batch is parsed while the previous one is written.
 *
 * A line that is not an event stops the import with its line number; batches before it stay written. Importing the
 * same (or a corrected) file again is safe: events already stored are recognised by their keys and skipped.
 */
export async function ingestNdjson(
  { pg: pool }: Pick<ServiceClients, 'pg'>,
  boxId: string,
  input: AsyncIterable<Buffer | string>,
  options: NdjsonIngestOptions = {},
): Promise<NdjsonIngestResult> {
  const started = performance.now();
  if (!UUID.test(boxId))
    throw new AppError('bad_request', `box id ${JSON.stringify(boxId.slice(0, 64))} is not a UUID`);
  const tenantId = await tenantOfBox(pool, boxId);
  const batchSize = options.batchSize ?? 5_000;
  // The first batch is written while the second is parsed, and so on; the first is parsed with nothing to overlap,
  // so batches start small (the database gets to work early) and double up to batchSize.
  let nextBatchSize = Math.min(batchSize, FIRST_BATCH);
  const result: NdjsonIngestResult = { lines: 0, events: 0, inserted: 0, duplicates: 0, batches: 0, ms: 0 };
  let writing: Promise<void> = Promise.resolve();
  // Rows are made line by line, while the previous batch is being written.
  let batch = new EventRowBatch(boxId);
  let bad: AppError | undefined;

  const flush = async () => {
    const { rows, received } = batch;
    batch = new EventRowBatch(boxId);
    result.events += received;
    await writing; // one transaction at a time, in order: a run's events are projected in seq order
    writing = importEventRows({ pg: pool }, { boxId, tenantId, rows, received }).then((written) => {
      result.batches++;
      result.inserted += written.inserted;
      result.duplicates += written.duplicates;
    });
    // A failed write surfaces at the next flush or at the end; keep it from being reported as unhandled meanwhile.
    writing.catch(() => {});
  };

  const reader = new LineReader(
    (line) => {
      result.lines++;
      if (bad || line.trim() === '') return;
      const event = parseEventLine(line, result.lines);
      if (event instanceof AppError) bad = event;
      else batch.add(event);
    },
    options.maxLineBytes ?? 1024 * 1024,
    ({ bytes }) => {
      bad ??= new AppError('bad_request', `line ${result.lines + 1}: ${bytes} bytes, longer than the limit`);
    },
    true,
  );
  let endsWithNewline = true;
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (bytes.length === 0) continue;
    endsWithNewline = bytes[bytes.length - 1] === 0x0a;
    // Parsed a slice at a time, letting the event loop in between: the batch being written waits for each
    // answer of the database to be handled before it sends its next statement.
    for (let at = 0; at < bytes.length && !bad; at += PARSE_SLICE) {
      if (at > 0) await new Promise((resolve) => setImmediate(resolve));
      reader.push(at === 0 && bytes.length <= PARSE_SLICE ? bytes : bytes.subarray(at, at + PARSE_SLICE));
      if (batch.received >= nextBatchSize) {
        nextBatchSize = Math.min(batchSize, nextBatchSize * 2);
        await flush();
      }
    }
    if (bad) break;
  }
  if (!bad && !endsWithNewline) reader.push(Buffer.from('\n')); // a last line without its newline
  if (batch.received > 0 && !bad) await flush();
  await writing;
  if (bad) throw bad;
  result.ms = Math.round(performance.now() - started);
  return result;
}

const FIRST_BATCH = 500;
const PARSE_SLICE = 16 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parseEventLine(line: string, lineNumber: number): RunEvent | AppError {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return new AppError('bad_request', `line ${lineNumber}: not valid JSON`);
  }
  const parsed = RunEventSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  return new AppError('bad_request', `line ${lineNumber}: ${issue?.path.join('.') || 'event'}: ${issue?.message}`);
}

async function tenantOfBox(pool: Pool, boxId: string): Promise<string> {
  const { rows } = await pool.query<{ tenant_id: string | null }>('SELECT tenant_id FROM boxes WHERE id = $1', [boxId]);
  const row = rows[0];
  if (!row) throw new AppError('not_found', `box ${boxId} not found`);
  if (!row.tenant_id)
    throw new AppError('unprocessable', `box ${boxId} belongs to no tenant: its events have no owner`);
  return row.tenant_id;
}
