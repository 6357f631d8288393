import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exitOnConfigError } from '@paddock/platform';
import { loadSupervisorConfig, type SupervisorConfig } from './config';
import { runOnce } from './run-once';
import { SupervisedProgram } from './supervised-program';
import { waitForHttp, waitForPort } from './wait-for';

// `npm start`'s supervisor (scripts/start.sh execs it once PostgreSQL and Redis are up): the embedded database when
// there is no PostgreSQL, then migrations and the seed, then the worker and the API, each restarted with backoff when
// it dies while the others keep serving. SIGINT (Ctrl-C) or SIGTERM stops them in order (API, worker, database) and
// leaves PostgreSQL and Redis running for a quick restart; `npm stop` (scripts/stop.sh) stops those too.
const ROOT = join(import.meta.dirname, '../..');
const TSX = ['--import', 'tsx'];

let config: SupervisorConfig;
try {
  config = loadSupervisorConfig(process.env);
} catch (error) {
  exitOnConfigError(error);
}

const say = (line: string) => process.stderr.write(`start: ${line}\n`);
const pidFile = join(config.PADDOCK_DATA_DIR, 'start.pid');
const programs: SupervisedProgram[] = [];
let stopping: Promise<void> | undefined;

function program(name: string, entry: string, args: string[] = [], stopTimeoutMs = config.STOP_TIMEOUT_MS) {
  const supervised = new SupervisedProgram(
    { name, command: process.execPath, args: [...TSX, join(ROOT, entry), ...args], stopTimeoutMs },
    say,
    (reason) => void stopAll(1, reason),
  );
  programs.push(supervised);
  supervised.start();
  return supervised;
}

/** Stops the programs in the reverse order of their start: the API first, the database last. */
function stopAll(exitCode: number, reason: string): Promise<void> {
  stopping ??= (async () => {
    say(`${reason}: stopping`);
    for (const supervised of [...programs].reverse()) await supervised.stop();
    rmSync(pidFile, { force: true });
    say(
      config.PADDOCK_EMBEDDED_PG === '1'
        ? 'stopped (the embedded database too). Redis keeps running for a quick restart; `npm stop` stops it.'
        : 'stopped. PostgreSQL and Redis keep running for a quick restart; `npm stop` stops them.',
    );
    process.exit(exitCode);
  })();
  return stopping;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) say(`${signal} again: already stopping (each program has ${config.STOP_TIMEOUT_MS / 1000} s)`);
    void stopAll(0, signal);
  });
}
writeFileSync(pidFile, `${process.pid}\n`);

try {
  if (config.PADDOCK_EMBEDDED_PG === '1') {
    const port = config.PADDOCK_EMBEDDED_PG_PORT;
    const dir = config.PADDOCK_DATA_DIR;
    // The database stops last and quickly: the apps have let go of it by then.
    program(
      'database',
      'packages/db/src/embedded-server.ts',
      ['--dir', join(dir, 'pglite'), '--port', String(port), '--password-file', join(dir, 'pglite-password')],
      10_000,
    );
    // PGlite loads its WebAssembly first: seconds on a quiet machine, much longer on a loaded one.
    await waitForPort('127.0.0.1', port, 120_000);
  }
  // Migrations run as the role that owns the tables (DATABASE_OWNER_URL); the API and worker as the app role, which
  // may only read and write rows.
  await runOnce('migrations', process.execPath, [...TSX, join(ROOT, 'packages/db/src/migrate-cli.ts')], process.env);
  delete process.env.DATABASE_OWNER_URL;
  await runOnce('seed', process.execPath, [...TSX, join(ROOT, 'scripts/seed.ts')], process.env);

  program('worker', 'apps/worker/src/main.ts');
  program('api', 'apps/api/src/main.ts');
  const base = `http://${config.HOST}:${config.PORT}`;
  await waitForHttp(`${base}/healthz`, 60_000);
  console.log(
    `\nPaddock is running: ${base}  (API docs: ${base}/docs, readiness: /readyz). Ctrl-C stops it; a crashed API or worker is restarted.`,
  );
  console.log(`Console: ${base}/console/  (operators; workspace members: ${base}/console/app)`);
  if (config.PADDOCK_ALLOW_LOCAL_BOXES === 'true') {
    console.log(
      'local test boxes enabled: boxes share this machine, for development only (PADDOCK_ALLOW_LOCAL_BOXES=false turns them off).',
    );
  }
} catch (error) {
  if (!stopping) await stopAll(1, error instanceof Error ? error.message : String(error));
}
