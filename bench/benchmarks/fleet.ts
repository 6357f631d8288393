import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import {
  bootstrapBox,
  buildRuntimeRelease,
  fetchNodeBinary,
  generateSshKeyPair,
  type LocalRelease,
  rolloutRelease,
  type SshKeyPair,
  SshPool,
  sh,
} from '@paddock/fleet';
import { type LocalBox, LocalBoxHarness } from '@paddock/providers';
import ssh2 from 'ssh2';
import { defineBenchmark, type Figure } from '../harness';

/**
 * Deploys of the real runtime release (esbuild bundle, PTY module, the official Node 24 binary: ~128 MB) to test
 * boxes (real sshd in their own namespaces, all on this machine's cores), against two baselines measured in the
 * same run: a bare parallel SFTP upload of the same bytes (ssh2, no deploy steps), and the naive upgrade (a
 * sequential loop of `scp` of the whole release plus one `ssh` per box to switch, restart and check).
 * CPU is the control plane's own (this process plus the scp/ssh children it waited for); the boxes' sshd is not.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const CACHE = join(ROOT, '.data/cache');
const WORK = join(ROOT, '.data/bench-fleet');
const SIZES = [1, 8, 32];
const UPGRADE_SIZE = 32;
const CLK_TCK = 100;

const run = promisify(execFile);

interface Measure {
  wallS: number;
  cpuS: number;
  mbSent: number;
}

/** CPU seconds of this process and of the children it waited for (fields 14-17 of /proc/self/stat). */
function cpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
  return ticks / CLK_TCK;
}

async function measure(work: () => Promise<number>): Promise<Measure> {
  const cpu0 = cpuSeconds();
  const t0 = performance.now();
  const bytes = await work();
  return { wallS: (performance.now() - t0) / 1000, cpuS: cpuSeconds() - cpu0, mbSent: bytes / 1e6 };
}

/** The floor: each box gets the release's files over a fresh ssh2 connection, 4 files at a time, all boxes at once. */
async function bareParallelUpload(boxes: LocalBox[], key: SshKeyPair, release: LocalRelease): Promise<number> {
  const sent = await Promise.all(
    boxes.map(async (box) => {
      const client = await connectBare(box, key);
      const exec = (command: string) =>
        new Promise<void>((done, fail) =>
          client.exec(command, (error, channel) => {
            if (error) return fail(error);
            channel.on('close', () => done()).resume();
            channel.stderr.resume();
          }),
        );
      await exec('mkdir -p /opt/bare');
      const sftp = await new Promise<ssh2.SFTPWrapper>((done, fail) => client.sftp((e, s) => (e ? fail(e) : done(s))));
      const queue = [...release.manifest.files].sort((a, b) => b.size - a.size);
      const worker = async () => {
        for (let file = queue.shift(); file; file = queue.shift()) {
          const path = file.path;
          await new Promise<void>((done, fail) =>
            sftp.fastPut(
              join(release.root, path),
              `/opt/bare/${path.replaceAll('/', '_')}`,
              { concurrency: 64, chunkSize: 32_768 },
              (e) => (e ? fail(e) : done()),
            ),
          );
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
      const bytes = (client as unknown as { _sock: { bytesWritten: number } })._sock.bytesWritten;
      client.end();
      return bytes;
    }),
  );
  return sent.reduce((a, b) => a + b, 0);
}

/** One ssh2 connection, dialled again if the box drops it before the handshake (sshd reloading after bootstrap). */
async function connectBare(box: LocalBox, key: SshKeyPair, attempts = 3): Promise<ssh2.Client> {
  for (let attempt = 1; ; attempt++) {
    const client = new ssh2.Client();
    try {
      await new Promise<void>((ready, fail) => {
        client.on('error', fail).once('ready', ready);
        client.connect({
          host: box.host,
          port: box.port,
          username: 'root',
          privateKey: key.privateKey,
          hostVerifier: () => true,
        });
      });
      return client;
    } catch (error) {
      client.end();
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** Per box, when each step ended (ms since the rollout began): where a deploy's time goes. */
type StepTimes = Map<string, Map<string, number>>;
const STEP_ORDER = ['upload', 'verify', 'assemble', 'activate', 'restart', 'health', 'prune'];

async function deploy(
  boxes: LocalBox[],
  key: SshKeyPair,
  release: LocalRelease,
  rolloutId: string,
  times: StepTimes = new Map(),
): Promise<number> {
  const pool = new SshPool({ timeouts: { connectMs: 30_000, commandMs: 300_000 } });
  const t0 = performance.now();
  const mark = (boxId: string, what: string) => {
    const box = times.get(boxId) ?? new Map<string, number>();
    times.set(boxId, box);
    if (!box.has(what)) box.set(what, performance.now() - t0);
  };
  try {
    const result = await rolloutRelease({
      pool,
      release,
      targets: boxes.map((box) => target(box, key)),
      rolloutId,
      concurrency: boxes.length,
      canarySize: 0,
      recorder: {
        record(event) {
          if (event.type === 'deploy.step' && event.status !== 'started') mark(event.boxId, event.step);
          if (event.type === 'deploy.step' && event.status === 'started') mark(event.boxId, `${event.step}:started`);
        },
      },
    });
    const failed = result.results.filter((r) => r.outcome !== 'succeeded');
    if (failed.length > 0 || result.results.length !== boxes.length) {
      throw new Error(
        `deploy ${rolloutId}: ${failed.map((r) => `${r.boxId} ${r.outcome} ${r.error?.message}`).join('; ')}`,
      );
    }
    return pool.traffic().sent;
  } finally {
    await pool.close(5_000);
  }
}

/** Median and slowest box per step: `lock` is connect + lock + state read, the others end at their own marker. */
function describeSteps(times: StepTimes): string {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const parts: string[] = [];
  for (const box of times.values()) box.set('start', 0);
  let previous = 'start';
  for (const step of ['lock', ...STEP_ORDER]) {
    const spans = [...times.values()]
      .filter((box) => box.has(step) && box.has(previous))
      .map((box) => (box.get(step) as number) - (box.get(previous) as number));
    if (spans.length === 0) continue;
    parts.push(`${step} ${median(spans).toFixed(0)}/${Math.max(...spans).toFixed(0)}`);
    previous = step;
  }
  return `per-box step time, median/max ms: ${parts.join(', ')}`;
}

/** The naive way: for each box in turn, scp the whole release, then one ssh to switch, restart and check health. */
async function naiveUpgrade(
  boxes: LocalBox[],
  keyFile: string,
  knownHosts: string,
  release: LocalRelease,
): Promise<number> {
  const version = `naive-${release.manifest.version}`;
  const ssh = [
    '-i',
    keyFile,
    '-o',
    'BatchMode=yes',
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'StrictHostKeyChecking=yes',
  ];
  for (const box of boxes) {
    await run('scp', ['-q', '-r', ...ssh, release.root, `root@${box.host}:/opt/paddock/releases/${version}`]);
    const script = `cd /opt/paddock && ln -sfn releases/${version} current.new && mv -T current.new current && bin/paddock-service restart && bin/paddock-service health >/dev/null`;
    await run('ssh', [...ssh, `root@${box.host}`, script]);
  }
  return 0;
}

function target(box: LocalBox, key: SshKeyPair) {
  return {
    id: box.id,
    host: box.host,
    port: box.port,
    username: 'root',
    privateKey: key.privateKey,
    hostKey: { kind: 'pinned' as const, fingerprint: box.hostKeyFingerprint },
  };
}

async function cleanBare(boxes: LocalBox[], pool: SshPool, key: SshKeyPair): Promise<void> {
  await Promise.all(boxes.map(async (box) => (await pool.connect(target(box, key))).exec(sh`rm -rf /opt/bare`)));
}

export default defineBenchmark({
  name: 'fleet',
  description:
    'first deploy of the runtime release (own Node binary) to 1/8/32 test boxes vs a bare parallel SFTP upload of the same bytes; upgrade deploy vs naive sequential scp+ssh',
  async run(log) {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(WORK, { recursive: true });
    const node = await fetchNodeBinary({ cacheDir: join(CACHE, 'node') });
    const build = (version: string) =>
      buildRuntimeRelease({
        runtimeDir: join(ROOT, 'packages/runtime'),
        outDir: join(WORK, 'releases', version),
        version,
        node: { kind: 'bundled', binary: node.path },
        buildStamp: version,
      });
    const v1 = await build('bench-1');
    const v2 = await build('bench-2');
    const changed = v2.manifest.files.filter((f) => !v1.manifest.files.some((g) => g.sha256 === f.sha256));
    log(
      `release: ${v1.manifest.files.length} files, ${(v1.totalBytes / 1e6).toFixed(1)} MB (${node.version}); upgrade changes ${changed.map((f) => f.path).join(', ')}`,
    );

    const key = generateSshKeyPair('paddock bench');
    const keyFile = join(WORK, 'id_ed25519');
    writeFileSync(keyFile, key.privateKey, { mode: 0o600 });
    const figures: Figure[] = [];
    const harness = new LocalBoxHarness();
    try {
      for (const n of SIZES) {
        const hostKeys = Array.from({ length: n }, (_, i) => generateSshKeyPair(`bench box ${i}`));
        const boxes: LocalBox[] = [];
        for (const [i, hostKey] of hostKeys.entries()) {
          boxes.push(await harness.createBox({ name: `fleet-${n}-${i}`, authorizedKey: key.publicKey, hostKey }));
        }
        const setupPool = new SshPool();
        await Promise.all(boxes.map((box) => bootstrapBox({ pool: setupPool, target: target(box, key) })));

        const bare = await measure(() => bareParallelUpload(boxes, key, v1));
        await cleanBare(boxes, setupPool, key);
        log(
          `${n} box(es): bare parallel SFTP ${bare.wallS.toFixed(2)} s, ${bare.cpuS.toFixed(2)} CPU s, ${bare.mbSent.toFixed(0)} MB`,
        );
        const firstSteps: StepTimes = new Map();
        const first = await measure(() => deploy(boxes, key, v1, `first-${n}`, firstSteps));
        log(
          `${n} box(es): first deploy ${first.wallS.toFixed(2)} s, ${first.cpuS.toFixed(2)} CPU s, ${first.mbSent.toFixed(0)} MB`,
        );
        log(`${n} box(es): first deploy ${describeSteps(firstSteps)}`);
        const ratio = first.wallS / bare.wallS;
        figures.push(
          { name: `first_deploy_${n}_boxes_wall`, value: first.wallS, unit: 's' },
          { name: `first_deploy_${n}_boxes_cpu`, value: first.cpuS, unit: 'cpu s' },
          { name: `first_deploy_${n}_boxes_sent`, value: first.mbSent, unit: 'MB' },
          { name: `bare_sftp_${n}_boxes_wall`, value: bare.wallS, unit: 's' },
          { name: `bare_sftp_${n}_boxes_cpu`, value: bare.cpuS, unit: 'cpu s' },
          { name: `bare_sftp_${n}_boxes_sent`, value: bare.mbSent, unit: 'MB' },
          {
            name: `first_deploy_vs_bare_sftp_${n}_boxes`,
            value: ratio,
            unit: 'x',
            ...(n === UPGRADE_SIZE ? { target: { op: '<=' as const, value: 1.2 } } : {}),
          },
        );

        if (n === UPGRADE_SIZE) {
          const upgradeSteps: StepTimes = new Map();
          const upgrade = await measure(() => deploy(boxes, key, v2, `upgrade-${n}`, upgradeSteps));
          log(
            `${n} boxes: upgrade deploy ${upgrade.wallS.toFixed(2)} s, ${upgrade.cpuS.toFixed(2)} CPU s, ${upgrade.mbSent.toFixed(1)} MB`,
          );
          log(`${n} boxes: upgrade deploy ${describeSteps(upgradeSteps)}`);
          const knownHosts = join(WORK, 'known_hosts');
          writeFileSync(knownHosts, boxes.map((box, i) => `${box.host} ${hostKeys[i]!.publicKey}`).join('\n') + '\n');
          const naive = await measure(() => naiveUpgrade(boxes, keyFile, knownHosts, v2));
          log(`${n} boxes: naive sequential scp+ssh ${naive.wallS.toFixed(2)} s, ${naive.cpuS.toFixed(2)} CPU s`);
          figures.push(
            { name: `upgrade_deploy_${n}_boxes_wall`, value: upgrade.wallS, unit: 's' },
            { name: `upgrade_deploy_${n}_boxes_cpu`, value: upgrade.cpuS, unit: 'cpu s' },
            { name: `upgrade_deploy_${n}_boxes_sent`, value: upgrade.mbSent, unit: 'MB' },
            { name: `naive_upgrade_${n}_boxes_wall`, value: naive.wallS, unit: 's' },
            { name: `naive_upgrade_${n}_boxes_cpu`, value: naive.cpuS, unit: 'cpu s' },
            {
              name: `naive_vs_upgrade_deploy_${n}_boxes`,
              value: naive.wallS / upgrade.wallS,
              unit: 'x',
              target: { op: '>=', value: 10 },
            },
          );
        }
        await setupPool.close(5_000);
        await Promise.all(boxes.map((box) => harness.destroyBox(box.id)));
      }
    } finally {
      await harness.destroyAll();
      rmSync(WORK, { recursive: true, force: true });
    }
    return figures;
  },
});
