import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { promisify } from 'node:util';
import { RunEventSchema } from '@paddock/contracts';
import { createMigratedDatabase } from '@paddock/testkit';
import pg from 'pg';
import type { Figure } from '../harness';
import { eventRow, ingestNdjson } from '@paddock/services';
import { seedBox, seedChain, seedModelPrice, seedTenant } from '../../test/collect/support/seed';
import { ndjsonLines, succeededRun } from '../../test/collect/support/synthetic-events';

/**
 * Event ingestion into Postgres (`ingestNdjson`: parse, validate, insert once by `boxId:runId:seq`, project runs and
 * steps, all per batch in one transaction) against a raw `COPY` of the same usage_events rows, each into its own
 * fresh database. Rounds alternate between the two so a shared machine's load falls on both alike.
 */
const run = promisify(execFile);
const STEPS = 8; // 18 events a run
const ROUNDS = 4;

async function seed(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const tenantId = await seedTenant(pool);
  const boxId = await seedBox(pool, tenantId);
  await seedChain(pool, tenantId, 'bench');
  // Ingestion rates every event at the price book (one price query per batch): the bench measures it priced.
  await seedModelPrice(pool, 'm-a', { input: 150_000n, output: 600_000n });
  return { pool, tenantId, boxId };
}

/** Round `round`'s share of the runs (run ids unique across rounds). */
function* events(total: number, round: number) {
  const runs = Math.ceil(total / (2 + 2 * STEPS));
  for (let r = round; r < runs; r += ROUNDS) yield* succeededRun(`run-${r}`, 'bench', STEPS);
}

async function writeLines(path: string, lines: Iterable<string>): Promise<number> {
  const out = createWriteStream(path);
  let n = 0;
  for (const line of lines) {
    n++;
    if (!out.write(line)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  out.end();
  await finished(out);
  return n;
}

/** The same rows the ingester writes (key, usage, payload...), as CSV for COPY; built outside the timing. */
function* csvLines(ndjson: string[], scope: { tenantId: string; boxId: string }) {
  const at = new Date().toISOString();
  const field = (v: string | number | null) => (v === null ? '' : `"${String(v).replaceAll('"', '""')}"`);
  for (const line of ndjson) {
    const row = eventRow(scope.boxId, RunEventSchema.parse(JSON.parse(line)), at);
    const cells = [scope.tenantId, scope.boxId, row.key, row.runtimeRunId, row.seq, row.type, 'bench', row.stepName];
    const rest = [row.model, row.tokensIn, row.tokensOut, row.costMicros, row.durationMs, row.payload, row.occurredAt];
    yield `${[...cells, ...rest].map(field).join(',')}\n`;
  }
}

/** psql from PATH, else from the PostgreSQL packages' own bin directories. */
function findPsql(): string {
  for (const dir of (process.env.PATH ?? '').split(':'))
    if (dir && existsSync(join(dir, 'psql'))) return join(dir, 'psql');
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(base, v, 'bin/psql'))) return join(base, v, 'bin/psql');
  throw new Error('psql not found: install postgresql-client');
}

export async function measureIngestVsCopy(total: number, log: (line: string) => void): Promise<Figure[]> {
  const psql = findPsql();
  const dir = mkdtempSync(join(tmpdir(), 'bench-ingest-'));
  const [a, b] = await Promise.all([createMigratedDatabase(), createMigratedDatabase()]);
  const ingestDb = await seed(a.url);
  const copyDb = await seed(b.url);
  try {
    const files: { ndjson: string; csv: string }[] = [];
    let count = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const lines = [...ndjsonLines(events(total, round))];
      const ndjson = join(dir, `events-${round}.ndjson`);
      const csv = join(dir, `rows-${round}.csv`);
      count += await writeLines(ndjson, lines);
      await writeLines(csv, csvLines(lines, copyDb));
      files.push({ ndjson, csv });
    }
    let copyMs = 0;
    let ingestMs = 0;
    // Each round's own ratio too: the spread says whether the total's ratio holds round by round.
    const roundRatios: number[] = [];
    for (const file of files) {
      const roundCopyMs = copyMs;
      const roundIngestMs = ingestMs;
      const copyStarted = performance.now();
      await run(psql, [
        b.url,
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        `\\copy usage_events (tenant_id, box_id, idempotency_key, runtime_run_id, seq, type, chain_name, step_name, model, tokens_in, tokens_out, cost_micros, duration_ms, payload, occurred_at) FROM '${file.csv}' CSV`,
      ]);
      copyMs += performance.now() - copyStarted;
      const result = await ingestNdjson({ pg: ingestDb.pool }, ingestDb.boxId, createReadStream(file.ndjson));
      ingestMs += result.ms;
      roundRatios.push((copyMs - roundCopyMs) / (ingestMs - roundIngestMs));
    }
    const stored = await ingestDb.pool.query<{ events: number; runs: number }>(
      `SELECT (SELECT count(*) FROM usage_events)::int AS events,
              (SELECT count(*) FROM runs WHERE status = 'succeeded')::int AS runs`,
    );
    const copied = await copyDb.pool.query<{ events: number }>(`SELECT count(*)::int AS events FROM usage_events`);
    if (stored.rows[0]?.events !== count || copied.rows[0]?.events !== count) {
      throw new Error(
        `ingestion stored ${stored.rows[0]?.events} and COPY ${copied.rows[0]?.events} of ${count} events`,
      );
    }
    const rate = (ms: number) => (count * 1000) / ms;
    log(
      `${count} events: ingestNdjson ${rate(ingestMs).toFixed(0)}/s (${stored.rows[0]?.runs} runs projected), ` +
        `COPY ${rate(copyMs).toFixed(0)}/s; ingestion / COPY by round: ${roundRatios.map((r) => r.toFixed(2)).join(', ')}`,
    );
    return [
      { name: 'event ingestion (ingestNdjson)', value: rate(ingestMs), unit: 'events/s' },
      { name: 'raw COPY of the same rows', value: rate(copyMs), unit: 'events/s' },
      { name: 'ingestion / COPY', value: copyMs / ingestMs, unit: 'x', target: { op: '>=', value: 0.5 } },
      {
        name: 'ingestion / COPY, worst round',
        value: Math.min(...roundRatios),
        unit: 'x',
        target: { op: '>=', value: 0.5 },
      },
      { name: 'ingestion / COPY, best round', value: Math.max(...roundRatios), unit: 'x' },
    ];
  } finally {
    await ingestDb.pool.end();
    await copyDb.pool.end();
    await Promise.all([a.drop(), b.drop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}
