import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTestEnv } from '@paddock/testkit';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for';

const repoRoot = join(import.meta.dirname, '../..');
// Each test waits up to 120 s for the start line (a loaded CI machine installs, migrates and boots two apps): the
// test's own limit must be above that, not the 60 s default.
const START_TIMEOUT_MS = 180_000;

interface StartedLine {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startLine(env: Record<string, string>): StartedLine {
  // detached: the start script and everything it runs form one process group we can signal and clean up.
  const child = spawn('bash', ['scripts/start.sh'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

// The README's first line, as a newcomer runs it: embedded PostgreSQL (PGlite), migrations, first operator, API +
// worker. Redis is the test run's own.
describe('npm start on its embedded defaults', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'paddock-start-'));
  const port = 18_000 + Math.floor(Math.random() * 2_000);
  const env = {
    PADDOCK_DATA_DIR: dataDir,
    PADDOCK_EMBEDDED_PG: '1',
    PADDOCK_EMBEDDED_PG_PORT: String(port + 1),
    REDIS_URL: readTestEnv().REDIS_URL,
    QUEUE_PREFIX: `start${port}`,
    PORT: String(port),
    LOG_LEVEL: 'warn',
  };
  const base = `http://127.0.0.1:${port}`;
  let running: StartedLine | undefined;

  afterAll(async () => {
    if (running?.child.pid && running.child.exitCode === null) process.kill(-running.child.pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'serves /readyz and /docs, prints a working operator login once, and stops cleanly',
    async () => {
      running = startLine(env);
      await waitFor(
        'the start line to print the URL',
        async () => running?.output().includes('Paddock is running'),
        120_000,
      );
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      expect(((await ready.json()) as { status: string }).status).toBe('ready');
      expect((await fetch(`${base}/docs/json`)).status).toBe(200);

      // Local test boxes are on, and it says so; no password of the services it started is printed.
      expect(running.output()).toContain('local test boxes enabled: boxes share this machine, for development only');
      const databasePassword = readFileSync(join(dataDir, 'pglite-password'), 'utf8').trim();
      expect(databasePassword).toMatch(/^[0-9a-f]{32}$/);
      expect(running.output()).not.toContain(databasePassword);
      expect(running.output()).not.toContain(new URL(readTestEnv().REDIS_URL).password);
      // The embedded database asks for that password: none, or a guess, is refused.
      for (const guess of ['', ':postgres', ':paddock']) {
        const client = new pg.Client({
          connectionString: `postgresql://postgres${guess}@127.0.0.1:${port + 1}/postgres`,
        });
        client.on('error', () => undefined);
        await expect(client.connect()).rejects.toThrow(/password/);
        await client.end().catch(() => undefined);
      }

      const password = /password:\s+(\S+)/.exec(running.output())?.[1];
      expect(password).toBeDefined();
      const login = await fetch(`${base}/v1/operator/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'admin@paddock.local', password }),
      });
      expect(login.status).toBe(201);

      if (running.child.pid) process.kill(-running.child.pid, 'SIGTERM');
      await running.exited;
      await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    },
    START_TIMEOUT_MS,
  );

  it(
    'starts again on the same data without printing a new password',
    async () => {
      running = startLine(env);
      await waitFor('the second start', async () => running?.output().includes('Paddock is running'), 120_000);
      expect(running.output()).not.toMatch(/password:/);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      if (running.child.pid) process.kill(-running.child.pid, 'SIGTERM');
      await running.exited;
    },
    START_TIMEOUT_MS,
  );
});
