import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunEventSchema } from '@paddock/contracts';
import { localProcessTransport } from '@paddock/fleet';
import { createTestDatabase, readFuzzSettings, type TestDatabase } from '@paddock/testkit';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from '@paddock/services';
import { waitFor } from '../support/wait-for';
import { seedBox, seedChain, seedTenant } from '../collect/support/seed';
import { hostileString } from '../support/hostile-values';
import { zodArbitrary } from '../support/zod-arbitrary';

// Serve-protocol lines from a box, generated: events derived from the event schema with hostile values mixed in,
// raw lines JSON.stringify cannot write (1e999, wrong types, broken JSON), garbage. They are pushed by a real child
// process speaking the protocol (test/collect/support/hostile-serve.cjs) into the control plane's parser and
// collector, which write Postgres. Whatever comes: the collector goes past every line exactly once (the cursor reaches
// the honest event sent last, with no restart loop), each bad event is stored or quarantined with a bounded excerpt,
// never both, and the events stored are valid events of that box's runs.

const settings = readFuzzSettings();
const RUNS = settings.runs(4);
const SERVE = join(import.meta.dirname, '../collect/support/hostile-serve.cjs');
const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const at = (seq: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seq % 3600)).toISOString();

type Item = [number, 'event' | 'raw' | 'garbage', unknown];
type Spec = ['event' | 'raw' | 'garbage', unknown];

const eventSpec: fc.Arbitrary<Spec> = zodArbitrary(RunEventSchema).map((event) => ['event', event] as Spec);
const honestish: fc.Arbitrary<Spec> = fc
  .record({
    seq: fc.integer({ min: 1, max: 50 }),
    kind: fc.constantFrom('started', 'complete', 'failed', 'output'),
    status: fc.constantFrom('running', 'complete', 'failed'),
    input_tokens: fc.oneof(fc.nat(), fc.constantFrom(-1, 2 ** 53, 1e300)),
    message: fc.oneof(fc.constant(undefined), hostileString),
  })
  .map((fields) => ['event', { run_id: 'r1', step: 'a', timestamp: at(fields.seq), ...fields }] as Spec);
const rawSpec: fc.Arbitrary<Spec> = fc
  .oneof(
    fc.constantFrom(
      '{"run_id":"r1","seq":1e999,"step":"a","kind":"started","status":"running","timestamp":"2026-01-01T00:00:00Z"}',
      '{"run_id":"r1","seq":"1","step":"a"}',
      '{"run_id":{"$gt":""},"seq":1}',
      '{"__proto__":{"polluted":"yes"},"run_id":"r1","seq":2}',
      '{"run_id":"r1","seq":3,"data":' + '['.repeat(400) + ']'.repeat(400) + '}',
      '[]',
      'null',
      '"text"',
      '{',
    ),
    hostileString.map((s) => JSON.stringify(s)),
  )
  .map((raw) => ['raw', raw] as Spec);
const garbageSpec: fc.Arbitrary<Spec> = fc
  .integer({ min: 1, max: 4_000 })
  .map((bytes) => ['garbage', { bytes }] as Spec);

const lines = fc.array(
  fc.oneof({ arbitrary: eventSpec, weight: 3 }, { arbitrary: honestish, weight: 3 }, rawSpec, garbageSpec),
  { minLength: 1, maxLength: 12 },
);

describe('serve-protocol lines from a box, generated', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 6 });
    dir = mkdtempSync(join(tmpdir(), 'serve-fuzz-'));
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('are each stored or quarantined once, and collection always reaches the last honest event', {
    timeout: 600_000,
  }, async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(lines, async (specs) => {
        round += 1;
        const tenantId = await seedTenant(pool);
        const boxId = await seedBox(pool, tenantId);
        await seedChain(pool, tenantId, 'c');
        const items: Item[] = specs.map(([kind, spec], i) => [i + 1, kind, spec]);
        const last = items.length + 1;
        // The honest end: a run of this box that finishes; its cursor is where collection must get to.
        items.push([
          last,
          'event',
          {
            run_id: 'sentinel',
            seq: 1,
            step: '_run',
            kind: 'created',
            status: 'queued',
            timestamp: at(1),
            data: { chain: 'c' },
          },
        ]);
        const script = join(dir, `round-${round}.json`);
        writeFileSync(script, JSON.stringify(items));
        const transport = localProcessTransport([process.execPath, SERVE], {
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOSTILE_SCRIPT: script },
        });
        const collector = new Collector({
          pool,
          ownerId: `serve-fuzz-${round}`,
          leaseMs: 5_000,
          catchUpMs: 60_000,
          healthMs: 60_000,
          channel: { reopenDelayMs: { initial: 20, max: 100 } },
          connector: { transport: () => transport },
          log: quiet,
        });
        await collector.start();
        try {
          await waitFor('the cursor at the last line', async () => {
            const { rows } = await pool.query('SELECT cursor FROM collector_cursors WHERE box_id = $1', [boxId]);
            return rows[0]?.cursor === `j1:${last}` || undefined;
          });
          expect(collector.box(boxId)?.stats.restarts).toBe(0);
          const stored = await pool.query<{ run: string; seq: number }>(
            'SELECT runtime_run_id AS run, seq FROM usage_events WHERE box_id = $1',
            [boxId],
          );
          const quarantined = await pool.query<{ cursor: string; chars: number }>(
            'SELECT cursor, length(excerpt) AS chars FROM quarantined_events WHERE box_id = $1',
            [boxId],
          );
          expect(stored.rows).toContainEqual({ run: 'sentinel', seq: 1 });
          // At most one row per line, and never a line both stored and quarantined.
          expect(stored.rows.length + quarantined.rows.length).toBeLessThanOrEqual(items.length);
          expect(new Set(quarantined.rows.map((r) => r.cursor)).size).toBe(quarantined.rows.length);
          for (const row of quarantined.rows) expect(row.chars).toBeLessThanOrEqual(2_048);
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        } finally {
          await collector.stop();
        }
      }),
      // Each case starts a serve process and a collector: report the first failing case as found (with its seed)
      // rather than spend minutes shrinking it.
      { numRuns: RUNS, seed: settings.seed, endOnFailure: true },
    );
  });
});
