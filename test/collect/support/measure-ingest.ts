import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { promisify } from 'node:util';
import { RunEventSchema } from '@paddock/contracts';
import pg from 'pg';
import { eventRow } from '../../../packages/services/src/collect/event-rows';
import { ingestNdjson } from '../../../packages/services/src/collect/ingest-ndjson';
import { seedBox, seedChain, seedTenant } from './seed';
import { ndjsonLines, succeededRun } from './synthetic-events';

/**
 * Measures (does not assert) ingestNdjson against a raw COPY of the same usage_events rows, each into its own fresh
 * clone of the migrated test template. Run by hand after a test run made the template:
 *   eval "$(bash scripts/services.sh)"; node --import tsx test/collect/support/measure-ingest.ts [events]
 */
const run = promisify(execFile);
const total = Number(process.argv[2] ?? 200_000);
const STEPS = 8; // 18 events a run
const admin = process.env.DATABASE_URL as string;
const psql = join(process.env.PADDOCK_PG_BINDIR ?? '/usr/bin', 'psql');

async function cloneTemplate(): Promise<{ url: string; drop: () => Promise<void> }> {
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  const { rows } = await client.query<{ datname: string }>(
    `SELECT datname FROM pg_database WHERE datname ~ '^paddock_tpl_[0-9a-f]+$' ORDER BY oid DESC LIMIT 1`,
  );
  const template = rows[0]?.datname;
  if (!template) throw new Error('no test template database: run any database test first');
  const name = `paddock_m_${randomBytes(5).toString('hex')}`;
  await client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

async function seed(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const tenantId = await seedTenant(pool);
  const boxId = await seedBox(pool, tenantId);
  await seedChain(pool, tenantId, 'bench');
  return { pool, tenantId, boxId };
}

const ROUNDS = 4;

/** Round `round`'s share of the runs (run ids unique across rounds). */
function* events(round: number) {
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

const dir = mkdtempSync(join(tmpdir(), 'measure-ingest-'));
const [a, b] = await Promise.all([cloneTemplate(), cloneTemplate()]);
try {
  const ingestDb = await seed(a.url);
  const copyDb = await seed(b.url);
  const files: { ndjson: string; csv: string }[] = [];
  let count = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const lines = [...ndjsonLines(events(round))];
    const ndjson = join(dir, `events-${round}.ndjson`);
    const csv = join(dir, `rows-${round}.csv`);
    count += await writeLines(ndjson, lines);
    await writeLines(csv, csvLines(lines, copyDb));
    files.push({ ndjson, csv });
  }

  // Alternating rounds, so that the load of a shared machine falls on both sides alike.
  let copyMs = 0;
  let ingestMs = 0;
  let batches = 0;
  let ingestCpuMs = 0;
  for (const file of files) {
    const copyStarted = performance.now();
    await run(psql, [
      b.url,
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      `\\copy usage_events (tenant_id, box_id, idempotency_key, runtime_run_id, seq, type, chain_name, step_name, model, tokens_in, tokens_out, cost_micros, duration_ms, payload, occurred_at) FROM '${file.csv}' CSV`,
    ]);
    copyMs += performance.now() - copyStarted;
    const cpu = process.cpuUsage();
    const result = await ingestNdjson(ingestDb.pool, ingestDb.boxId, createReadStream(file.ndjson));
    const used = process.cpuUsage(cpu);
    ingestCpuMs += (used.user + used.system) / 1000;
    ingestMs += result.ms;
    batches += result.batches;
  }
  const check = await ingestDb.pool.query(
    `SELECT (SELECT count(*) FROM usage_events)::int AS events, (SELECT count(*) FROM runs WHERE status = 'succeeded')::int AS runs`,
  );
  const rate = (n: number, ms: number) => Math.round((n * 1000) / ms);
  console.log(
    JSON.stringify({
      events: count,
      ingestNdjson: {
        ms: Math.round(ingestMs),
        eventsPerSecond: rate(count, ingestMs),
        batches,
        // The rest of the wall time is the database's (and waiting for a CPU on a shared machine).
        clientCpuMs: Math.round(ingestCpuMs),
      },
      copy: { ms: Math.round(copyMs), eventsPerSecond: rate(count, copyMs) },
      ratioToCopy: Number((copyMs / ingestMs).toFixed(2)),
      stored: check.rows[0],
    }),
  );
  await ingestDb.pool.end();
  await copyDb.pool.end();
} finally {
  await Promise.all([a.drop(), b.drop()]);
  rmSync(dir, { recursive: true, force: true });
}
