import pg from 'pg';
import { localProcessTransport } from '@paddock/fleet';
import { Collector, localSystemFigures } from '@paddock/services';
import { CHAINCTL } from './local-runtime';

/**
 * A collector as its own process (what a worker runs), for tests that kill it with SIGKILL. Boxes are local
 * runtimes: COLLECT_BOXES maps box id -> runtime root. Prints one line per event the tests wait for.
 */
const boxes = JSON.parse(process.env.COLLECT_BOXES ?? '{}') as Record<string, string>;
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
// As the worker does (apps/worker/src/main.ts): idle connections dying with a restarting server are replaced.
pool.on('error', (error) => process.stdout.write(`log idle postgres connection failed ${error.message}\n`));
const say = (line: string) => process.stdout.write(`${line}\n`);
// Errors do not survive JSON.stringify (no own enumerable fields): print their message instead.
const fieldsText = (fields: Record<string, unknown>) =>
  JSON.stringify(fields, (_key, value: unknown) =>
    value instanceof Error ? `${value.name}: ${value.message}` : value,
  );

const collector = new Collector({
  pool,
  ownerId: process.env.COLLECT_OWNER ?? `test-${process.pid}`,
  leaseMs: Number(process.env.COLLECT_LEASE_MS ?? 2_000),
  maxBatch: Number(process.env.COLLECT_MAX_BATCH ?? 2_000),
  catchUpMs: 1_000,
  healthMs: 1_000,
  channel: { reopenDelayMs: { initial: 50, max: 500 } },
  connector: {
    transport: (box) => {
      const root = boxes[box.boxId];
      if (!root) throw new Error(`no runtime for box ${box.boxId}`);
      return localProcessTransport([...CHAINCTL, 'serve', '--stdio', '--root', root], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      });
    },
    probe: (box) => localSystemFigures(boxes[box.boxId] ?? '/'),
  },
  log: {
    info: (fields, message) => say(`log ${message} ${fieldsText(fields)}`),
    warn: (fields, message) => say(`log ${message} ${fieldsText(fields)}`),
    error: (fields, message) => say(`log ${message} ${fieldsText(fields)}`),
  },
  onBatch: ({ boxId, phase, size }) => say(`batch-${phase} ${boxId} ${size}`),
});

await collector.start();
say(`ready ${collector.owned().join(',')}`);
setInterval(() => say(`owned ${collector.owned().join(',')}`), 200).unref();
process.on('SIGTERM', () => {
  void collector.stop().then(async () => {
    await pool.end();
    process.exit(0);
  });
});
// Keep running until killed.
setInterval(() => {}, 1 << 30);
