import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for';

const run = promisify(execFile);
const repoRoot = join(import.meta.dirname, '../..');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

// `npm start` for real, on PostgreSQL and Redis of its own (services.sh on a fresh data directory and free ports):
// the worker and then the API are SIGKILLed and come back while the other keeps serving; Ctrl-C (SIGINT to the
// process group, as a terminal sends it) stops the API, then the worker, and leaves PostgreSQL and Redis running;
// `npm stop` stops those.
describe('npm start supervises the API and the worker', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'paddock-supervise-'));
  chmodSync(dataDir, 0o755); // the postgres user must reach the cluster inside
  const port = 40_000 + Math.floor(Math.random() * 5_000);
  const [pgPort, redisPort, metricsPort] = [port + 1, port + 2, port + 3];
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    PADDOCK_DATA_DIR: dataDir,
    PADDOCK_PG_PORT: String(pgPort),
    PADDOCK_REDIS_PORT: String(redisPort),
    PORT: String(port),
    // The worker's /metrics listener: how the test sees that a worker process is up and serving.
    METRICS_PORT: String(metricsPort),
    LOG_LEVEL: 'warn',
  };
  const api = `http://127.0.0.1:${port}/healthz`;
  const worker = `http://127.0.0.1:${metricsPort}/metrics`;
  let line: ChildProcess | undefined;
  let output = '';

  afterAll(async () => {
    if (line?.pid && line.exitCode === null) process.kill(-line.pid, 'SIGKILL');
    await run('bash', ['scripts/stop.sh'], { cwd: repoRoot, env }).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const pidOf = (name: string, after = 0): number | undefined => {
    const matches = [...output.slice(after).matchAll(new RegExp(`start: ${name} started \\(pid (\\d+)\\)`, 'g'))];
    const last = matches.at(-1)?.[1];
    return last ? Number(last) : undefined;
  };

  it('restarts a killed worker and a killed API, stops in order on Ctrl-C, and npm stop stops the services', async () => {
    line = spawn('bash', ['scripts/start.sh'], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    line.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    line.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => line?.once('exit', (code) => resolve(code)));
    await waitFor('the start line', async () => output.includes('Paddock is running'), 150_000);
    await waitFor('the worker to serve /metrics', () => answers(worker), 60_000);
    const firstWorker = pidOf('worker');
    const firstApi = pidOf('api');
    expect(firstWorker).toBeDefined();
    expect(firstApi).toBeDefined();

    // The worker dies: the API keeps serving meanwhile, and a new worker process comes up.
    let mark = output.length;
    process.kill(firstWorker ?? 0, 'SIGKILL');
    await waitFor('the supervisor to see the worker die', async () =>
      output.includes('worker exited (signal SIGKILL)'),
    );
    expect(await answers(api)).toBe(true);
    const secondWorker = await waitFor('a new worker', async () => pidOf('worker', mark), 30_000);
    expect(secondWorker).not.toBe(firstWorker);
    await waitFor('the new worker to serve /metrics', () => answers(worker), 60_000);

    // The API dies: the worker keeps running, and a new API serves again.
    mark = output.length;
    process.kill(firstApi ?? 0, 'SIGKILL');
    await waitFor('the supervisor to see the API die', async () => output.includes('api exited (signal SIGKILL)'));
    expect(await answers(worker)).toBe(true);
    const secondApi = await waitFor('a new API', async () => pidOf('api', mark), 30_000);
    expect(secondApi).not.toBe(firstApi);
    await waitFor('the new API to answer /healthz', () => answers(api), 60_000);
    expect(isAlive(secondWorker)).toBe(true);

    // Ctrl-C: SIGINT to the whole foreground group, as a terminal does.
    mark = output.length;
    process.kill(-(line.pid ?? 0), 'SIGINT');
    expect(await exited).toBe(0);
    const stopping = output.slice(mark);
    const order = ['stopping api', 'api stopped', 'stopping worker', 'worker stopped'].map((text) =>
      stopping.indexOf(text),
    );
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(stopping).not.toContain('restarting in');
    expect(isAlive(secondWorker)).toBe(false);
    expect(isAlive(secondApi)).toBe(false);
    // PostgreSQL and Redis are still there for a quick restart.
    expect(await accepts(pgPort)).toBe(true);
    expect(await accepts(redisPort)).toBe(true);

    await run('bash', ['scripts/stop.sh'], { cwd: repoRoot, env });
    expect(await accepts(pgPort)).toBe(false);
    expect(await accepts(redisPort)).toBe(false);
  }, 300_000);
});
