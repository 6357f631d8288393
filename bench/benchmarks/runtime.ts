import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RUN_STEP, type RunEvent } from '@paddock/contracts';
import { loadChainText, createRun, startDetached, stopDaemon, eventsSince } from '@paddock/runtime';
import { build } from 'esbuild';
import { defineBenchmark, type Figure } from '../harness';

/**
 * N concurrent runs of a 3-step linear chain whose agents each sleep 1 s in real PTYs, against the floor measured in
 * the same sitting (alternating): the same N x 3 sleeps as plain child processes (`sleep 1`, no PTY, no shell, no
 * events, no runtime). Two modes, both clocked from outside the daemon (this process's clock, the `finished` events
 * seen in the box journal, polled every POLL_MS):
 * - queued: N runs created, then the daemon started; daemon start -> last run finished.
 * - live: the daemon idle, N `run` requests written at once to `chainctl serve --stdio` (as the control plane sends
 *   them); first request -> last run finished, and first request -> last answer (the acceptance rate).
 * Handoff = `complete` of a step committed -> next step spawned (the daemon's own figure, in each `started` event).
 * RSS = the daemon's VmHWM.
 */
const SLEEP_S = 1;
const STEPS = 3;
const IDEAL_S = SLEEP_S * STEPS;
/** How often the journal is read for `finished` events: the clock's resolution. */
const POLL_MS = 20;
const CHAIN = `name: bench
agents:
  one: { run: sleep ${SLEEP_S} }
  two: { needs: [one], run: sleep ${SLEEP_S} }
  three: { needs: [two], run: sleep ${SLEEP_S} }
`;
const ROOT_DIR = resolve(import.meta.dirname, '../..');

/**
 * The daemon is measured as it ships: chainctl bundled by esbuild into one file, the PTY module external beside it
 * (resolved here through NODE_PATH), run by plain node; not under the tsx loader used in development.
 */
async function bundleChainctl(dir: string): Promise<string> {
  const outfile = join(dir, 'chainctl.cjs');
  await build({
    entryPoints: [join(ROOT_DIR, 'packages/runtime/src/cli.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['@lydell/node-pty', '@lydell/node-pty-*'],
    outfile,
    logLevel: 'error',
  });
  return outfile;
}

function repeats(): number {
  const n = Number(process.env.RUNTIME_BENCH_REPEAT ?? 2);
  if (!Number.isInteger(n) || n < 1) throw new Error('RUNTIME_BENCH_REPEAT must be a positive integer');
  return n;
}

function sizes(): number[] {
  // Env read only here (and in repeats()): RUNTIME_BENCH_N=100,500 for quicker runs while developing.
  const raw = process.env.RUNTIME_BENCH_N;
  const parsed = raw ? raw.split(',').map((s) => Number(s.trim())) : [100, 500, 1000];
  if (parsed.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`RUNTIME_BENCH_N must list integers: ${raw}`);
  return parsed;
}

/** The floor: N independent chains of 3 sequential plain `sleep 1` processes, from this process. */
function floor(n: number): Promise<number> {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    let remaining = n;
    const chain = (left: number) => {
      if (left === 0) {
        if (--remaining === 0) done((performance.now() - t0) / 1000);
        return;
      }
      const child = spawn('sleep', [String(SLEEP_S)], { stdio: 'ignore' });
      child.on('error', fail);
      child.on('exit', () => chain(left - 1));
    };
    for (let i = 0; i < n; i++) chain(STEPS);
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/**
 * User + system CPU the daemon used so far (its thread pool included): less sensitive to neighbours' load than wall
 * times, so it shows what the runtime itself costs per step.
 */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100 on Linux)
}

type Mode = 'queued' | 'live';

interface Measured {
  wall: number;
  /** live: seconds from the first request to the last answer. */
  accept: number | null;
  rss: number;
  cpu: number;
  handoffP50: number;
  handoffP99: number;
}

function startDaemon(cli: string, root: string, n: number) {
  return startDetached(
    [process.execPath, cli, 'daemon', '--root', root, '--max-parallel', String(n * STEPS + 10), '--rescan-ms', '1000'],
    root,
    { PATH: process.env.PATH, NODE_PATH: join(ROOT_DIR, 'node_modules') },
  );
}

/** Sends N `run` requests at once through `chainctl serve --stdio`; resolves when every answer is in. */
async function sendLive(cli: string, root: string, n: number, t0: { at: number }): Promise<number> {
  const serve = spawn(process.execPath, [cli, 'serve', '--stdio', '--root', root], {
    env: { PATH: process.env.PATH, NODE_PATH: join(ROOT_DIR, 'node_modules') },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  try {
    const lines = createInterface({ input: serve.stdout });
    let answers = 0;
    let failed: string | undefined;
    const done = new Promise<void>((resolve, reject) => {
      lines.on('line', (line) => {
        const message = JSON.parse(line) as { type: string; ok?: boolean; error?: { message: string } };
        if (message.type === 'hello') {
          const requests = Array.from({ length: n }, (_, i) =>
            JSON.stringify({ v: 1, id: i, op: 'run', text: CHAIN, run_id: `b${i}` }),
          );
          t0.at = performance.now();
          serve.stdin.write(`${requests.join('\n')}\n`);
          return;
        }
        if (message.type !== 'response') return;
        if (!message.ok) failed ??= message.error?.message ?? 'refused';
        if (++answers === n) failed ? reject(new Error(`a run was refused: ${failed}`)) : resolve();
      });
      serve.on('exit', (code) => reject(new Error(`serve exited with ${code} after ${answers}/${n} answers`)));
    });
    await done;
    return (performance.now() - t0.at) / 1000;
  } finally {
    serve.stdin.end();
    serve.kill();
  }
}

async function runtime(n: number, cli: string, mode: Mode, log: (line: string) => void): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-runtime-'));
  const root = join(dir, 'root');
  let pid: number | null = null;
  try {
    const t0 = { at: Number.NaN };
    let accepting: Promise<number> | undefined;
    if (mode === 'queued') {
      // Created before the daemon starts (not part of the measurement), concurrently: they share group commits.
      const loaded = loadChainText(CHAIN, join(dir, 'chain.yaml'));
      await Promise.all(Array.from({ length: n }, (_, i) => createRun(root, loaded, [], `b${i}`)));
      t0.at = performance.now();
      pid = (await startDaemon(cli, root, n)).pid;
    } else {
      pid = (await startDaemon(cli, root, n)).pid;
      accepting = sendLive(cli, root, n, t0);
    }
    log(`runtime ${mode} N=${n}: daemon ${pid}`);
    const events: RunEvent[] = [];
    let cursor: string | undefined;
    let finished = 0;
    let lastFinished = Number.NaN;
    const deadline = Date.now() + 120_000 + n * 100;
    while (finished < n) {
      if (Date.now() > deadline) throw new Error(`only ${finished}/${n} runs finished in time`);
      await new Promise((r) => setTimeout(r, POLL_MS));
      const page = eventsSince(root, cursor);
      cursor = page.cursor;
      for (const { event } of page.events) {
        events.push(event);
        if (event.step === RUN_STEP && event.kind === 'finished') {
          finished++;
          lastFinished = performance.now();
          if (event.status !== 'succeeded') throw new Error(`run ${event.run_id} ended ${event.status}`);
        }
      }
    }
    const accept = accepting ? await accepting : null;
    const rss = peakRssMb(pid as number);
    const cpu = cpuSeconds(pid as number);
    const handoffs = events
      .map((e) => e.data?.handoff_ms)
      .filter((h): h is number => typeof h === 'number')
      .sort((a, b) => a - b);
    return {
      wall: (lastFinished - t0.at) / 1000,
      accept,
      rss,
      cpu,
      handoffP50: percentile(handoffs, 50),
      handoffP99: percentile(handoffs, 99),
    };
  } finally {
    if (pid !== null) {
      const daemon = pid;
      await stopDaemon(root, 120_000).catch((error: unknown) => log(`daemon ${daemon} did not stop: ${String(error)}`));
    }
    // On a loaded machine the daemon's last writes can race the removal (ENOTEMPTY): retried, not fatal.
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }
}

export default defineBenchmark({
  name: 'runtime',
  description:
    'N concurrent 3-step chains of `sleep 1` agents in real PTYs (queued, and live through serve) vs the same sleeps as plain processes',
  async run(log) {
    const figures: Figure[] = [];
    const buildDir = mkdtempSync(join(tmpdir(), 'bench-chainctl-'));
    try {
      const variants: Variant[] = [{ label: '', cli: await bundleChainctl(buildDir) }];
      const base = baseCli();
      if (base) variants.push({ label: 'base ', cli: base });
      for (const n of sizes()) {
        for (const variant of variants) log(`${variant.label || 'this '}chainctl: ${variant.cli}`);
        await measure(n, variants, log, figures);
      }
    } finally {
      rmSync(buildDir, { recursive: true, force: true });
    }
    return figures;
  },
});

/** A chainctl bundle under test; `label` prefixes its figures ('' for this checkout's). */
interface Variant {
  label: string;
  cli: string;
}

/**
 * RUNTIME_BENCH_BASE_CLI: a second chainctl bundle (e.g. main's, built with the esbuild options of bundleChainctl)
 * measured in the same sitting, alternating with this checkout's, each after its own floor: an A/B on a shared machine.
 */
function baseCli(): string | undefined {
  const path = process.env.RUNTIME_BENCH_BASE_CLI;
  if (path === undefined || path === '') return undefined;
  if (!existsSync(path)) throw new Error(`RUNTIME_BENCH_BASE_CLI: no such file ${path}`);
  return resolve(path);
}

function modes(): Mode[] {
  const raw = process.env.RUNTIME_BENCH_MODES ?? 'queued,live';
  const parsed = raw.split(',').map((m) => m.trim());
  if (parsed.some((m) => m !== 'queued' && m !== 'live')) throw new Error(`RUNTIME_BENCH_MODES: queued,live: ${raw}`);
  return parsed as Mode[];
}

const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
const spread = (values: number[]) => `${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)}`;

/**
 * Floor and each mode alternate REPEAT times (env RUNTIME_BENCH_REPEAT, default 2), each repetition logged. Every
 * runtime wall is divided by the floor measured just before it (the same moment's machine); the figures are the
 * median of those ratios, and the log shows their spread: on a shared machine one neighbour's burst can double one
 * measurement.
 */
async function measure(n: number, variants: Variant[], log: (line: string) => void, figures: Figure[]): Promise<void> {
  const floors: number[] = [];
  const ratios = new Map<string, number[]>();
  const runs = new Map<string, Measured[]>();
  const key = (variant: Variant, mode: Mode) => `${variant.label}${mode}`;
  for (let i = 0; i < repeats(); i++) {
    for (const mode of modes()) {
      for (const variant of variants) {
        const f = await floor(n);
        floors.push(f);
        log(`floor N=${n}: ${f.toFixed(2)} s (${(f / IDEAL_S).toFixed(2)}x ideal)`);
        const r = await runtime(n, variant.cli, mode, log);
        const k = key(variant, mode);
        runs.set(k, [...(runs.get(k) ?? []), r]);
        ratios.set(k, [...(ratios.get(k) ?? []), r.wall / f]);
        const accepted =
          r.accept === null ? '' : `, accepted in ${r.accept.toFixed(2)} s (${(n / r.accept).toFixed(0)} runs/s)`;
        log(
          `${variant.label}runtime ${mode} N=${n}: ${r.wall.toFixed(2)} s = ${(r.wall / f).toFixed(2)}x floor${accepted}, handoff p50 ${r.handoffP50} ms p99 ${r.handoffP99} ms, rss ${r.rss.toFixed(0)} MB, daemon cpu ${r.cpu.toFixed(2)} s`,
        );
      }
    }
  }
  figures.push({ name: `N=${n} floor wall / ideal`, value: median(floors) / IDEAL_S, unit: 'x' });
  for (const variant of variants) {
    for (const mode of modes()) {
      const rs = runs.get(key(variant, mode)) ?? [];
      const rr = ratios.get(key(variant, mode)) ?? [];
      const name = (what: string) => `${variant.label}N=${n} ${mode} ${what}`;
      log(`${variant.label}N=${n} ${mode}: wall/floor ${spread(rr)} over ${rs.length} repetitions`);
      // Targets are this checkout's; a base bundle's figures are for comparison only.
      const target = variant.label !== '' ? undefined : mode === 'live' ? 1.3 : n >= 500 ? 1.15 : undefined;
      const mine = variant.label === '';
      figures.push(
        { name: name('wall / ideal'), value: median(rs.map((r) => r.wall)) / IDEAL_S, unit: 'x' },
        {
          name: name('wall / floor (median)'),
          value: median(rr),
          unit: 'x',
          ...(target === undefined ? {} : { target: { op: '<=' as const, value: target } }),
        },
        { name: name('handoff p50'), value: median(rs.map((r) => r.handoffP50)), unit: 'ms' },
        {
          name: name('handoff p99'),
          value: median(rs.map((r) => r.handoffP99)),
          unit: 'ms',
          ...(mine && n === 100 ? { target: { op: '<' as const, value: 10 } } : {}),
        },
        {
          name: name('daemon CPU per step'),
          value: (median(rs.map((r) => r.cpu)) * 1000) / (n * STEPS),
          unit: 'ms',
        },
        {
          name: name('daemon peak RSS'),
          value: Math.max(...rs.map((r) => r.rss)),
          unit: 'MB',
          ...(mine && n === 1000 ? { target: { op: '<' as const, value: 150 } } : {}),
        },
      );
      if (mode === 'live') {
        const rates = rs.map((r) => n / (r.accept as number));
        figures.push({
          name: name('runs accepted per second (median)'),
          value: median(rates),
          unit: 'runs/s',
          ...(mine && n >= 1000 ? { target: { op: '>=' as const, value: 1000 } } : {}),
        });
      }
    }
  }
}
