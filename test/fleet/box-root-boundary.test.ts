import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  asUser,
  bootstrapBox,
  type BoxTarget,
  deployToBox,
  type ExecOptions,
  type LocalRelease,
  pushSecrets,
  type ShellCommand,
  type SshPool,
  sh,
} from '@paddock/fleet';
import type { LocalBox } from '@paddock/providers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestFleet, type TestFleet } from './support/test-boxes';
import { buildTestRelease } from './support/test-release';

// A tenant runs anything as the runtime user on its box. These tests are that tenant: as `paddock`, inside a real
// test box, they plant symlinks, FIFOs and foreign pids where root's operations look, and race root while it works.
// Afterwards root's files must be as they were, root's processes alive, and nothing root-only in what root printed.

const USER = 'paddock';
const DATA = '/var/lib/paddock';
const SERVICE = '/opt/paddock/bin/paddock-service';
/** Root's files an attack would aim at: owner, mode and content must never change. */
const ROOT_FILES = [SERVICE, '/etc/sudoers', '/etc/shadow'];
/** A root-only file (0600) whose one line must never appear in anything root prints. */
const ROOT_SECRET = '/etc/paddock-root-only';

let fleet: TestFleet;
let pool: SshPool;
let box: LocalBox;
let target: BoxTarget;
let releasesDir: string;
let v1: LocalRelease;
let v2: LocalRelease;
let rootSecret: string;
let rootFilesBefore: string[];

function rootFiles(): string[] {
  return ROOT_FILES.map((path) => {
    const file = box.pathOnHost(path);
    const info = lstatSync(file);
    const hash = createHash('sha256').update(readFileSync(file)).digest('hex');
    return `${path} ${info.uid}:${info.gid} ${(info.mode & 0o7777).toString(8)} ${info.isFile()} ${hash}`;
  });
}

async function asRoot(command: ShellCommand, options: ExecOptions = {}) {
  return (await pool.connect(target)).exec(command, options);
}

async function asRuntime(command: ShellCommand, options: ExecOptions = {}) {
  return asRoot(asUser(USER, command), options);
}

/**
 * A process of the runtime user that keeps doing `script` (perl, args in @ARGV) until its stdin closes (two minutes
 * at most), printing `hit` for each success. Started when it says `ready`; `hits()` counts them so far.
 */
async function startAttacker(script: string, args: string[]) {
  const loop = `use POSIX (); $| = 1; my $rin = ''; vec($rin, fileno(STDIN), 1) = 1; print "ready\\n";
my $until = time + 120;
while (time < $until) {
  my $r = $rin; if (select($r, undef, undef, 0)) { my $b; last if !sysread(STDIN, $b, 1); }
  ${script}
}`;
  const remote = await (await pool.connect(target)).spawn(asUser(USER, sh`exec perl -e ${loop} ${args}`));
  let out = '';
  let ended = false;
  void remote.exited.then(() => {
    ended = true;
  });
  let wake = () => {};
  remote.channel.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    wake();
  });
  await new Promise<void>((resolve, reject) => {
    wake = () => {
      if (out.includes('ready\n')) resolve();
    };
    wake();
    void remote.exited.then(() => reject(new Error(`the attacker ended before it was ready: ${remote.stderrTail()}`)));
  });
  return {
    hits: () => out.split('hit\n').length - 1,
    /** Ends it; fails when it had ended by itself (a broken attack proves nothing). */
    async stop(): Promise<void> {
      if (ended) throw new Error(`the attacker ended early: ${remote.stderrTail()}`);
      remote.channel.end();
      await remote.exited;
    },
  };
}

// Replaces every new `*.tmp` in DIR by a symlink to TARGET (a symlink made beside it, renamed over it).
const SWAP_TMP_FILES = `opendir(my $d, $ARGV[0]) or die "opendir: $!";
  for my $f (readdir $d) {
    next unless $f =~ /\\.tmp$/;
    my $p = "$ARGV[0]/$f";
    next if -l $p;
    symlink($ARGV[1], "$p.swap") or next;
    rename("$p.swap", $p) and print "hit\\n";
  }
  closedir $d;`;

async function daemonPid(): Promise<string> {
  return (await asRuntime(sh`cat ${`${DATA}/daemon.pid`}`)).stdout.trim();
}

/** `deadlineSeconds`: how long the health check waits for the new daemon (short where it is meant to fail). */
async function deployRelease(release: LocalRelease, deployId: string, lines: string[] = [], deadlineSeconds = 15) {
  return deployToBox({
    pool,
    target,
    release,
    deployId,
    health: { attempts: deadlineSeconds * 4, intervalSeconds: 0.25 },
    installTimeoutMs: 30_000,
    onLog: (line) =>
      lines.push(line) && process.env.BOXROOT_DEBUG ? console.log(Date.now() % 100000, line) : undefined,
  });
}

beforeAll(async () => {
  fleet = await createTestFleet(1);
  pool = fleet.pool();
  box = fleet.boxes[0]!;
  target = fleet.target(box);
  releasesDir = mkdtempSync(join(tmpdir(), 'paddock-test-releases-'));
  [v1, v2] = await Promise.all([
    buildTestRelease(releasesDir, { version: 'v1' }),
    buildTestRelease(releasesDir, { version: 'v2' }),
  ]);
  await bootstrapBox({ pool, target });
  rootSecret = `root-only-${randomBytes(12).toString('hex')}`;
  // The box's own /etc (a copy): a sudoers to aim at, and a root-only file with a line to look for.
  await asRoot(sh`printf '%s\\n' 'root ALL=(ALL:ALL) ALL' > /etc/sudoers && chmod 440 /etc/sudoers
printf '%s\\n' ${rootSecret} > ${ROOT_SECRET} && chmod 600 ${ROOT_SECRET}`);
  const firstLines: string[] = [];
  const first = await deployRelease(v1, 'boundary-v1', firstLines);
  expect(first.outcome, firstLines.join('\n')).toBe('succeeded');
  rootFilesBefore = rootFiles();
}, 60_000);

afterAll(async () => {
  await fleet?.destroy();
  if (releasesDir) rmSync(releasesDir, { recursive: true, force: true });
});

describe('root on a box never follows what the runtime user can swap', () => {
  it('secrets pushes: a temporary file swapped for a symlink to root’s service script never hands it over', async () => {
    const swapper = await startAttacker(SWAP_TMP_FILES, [DATA, SERVICE]);
    // A large value keeps the temporary file open longer: a wide window, so the swapper wins many rounds.
    const filler = 'x'.repeat(32 * 1024);
    // Until the swapper has won 25 rounds (each one a chance for root to follow its symlink), 400 pushes at most.
    try {
      for (let push = 0; push < 400 && swapper.hits() < 25; push++) {
        await pushSecrets({ pool, target, secrets: { KEY: `value-${push}`, FILLER: filler } });
      }
    } finally {
      await swapper.stop();
    }
    expect(swapper.hits()).toBeGreaterThanOrEqual(25);
    expect(rootFiles()).toEqual(rootFilesBefore);
    // Still the one way in: root can run it.
    expect((await asRoot(sh`${SERVICE} status`, { okExitCodes: [0, 3] })).exitCode).toBe(0);
  }, 60_000);

  it('bootstrap: its record never lands in a symlink the runtime user put in its log directory', async () => {
    await asRuntime(sh`ln -sfn /etc/sudoers /var/log/paddock/bootstrap.log`);
    await bootstrapBox({ pool, target });
    await bootstrapBox({ pool, target });
    expect(rootFiles()).toEqual(rootFilesBefore);
    expect((await asRoot(sh`tail -n 1 /opt/paddock/bootstrap.log`)).stdout).toContain('"mode":"supervised"');
  });

  it('stop, status, running-release: a root pid in daemon.pid is never signalled, a FIFO hangs nothing', async () => {
    const daemon = await daemonPid();
    expect(daemon).toMatch(/^\d+$/);
    const victim = (await asRoot(sh`setsid sleep 600 </dev/null >/dev/null 2>&1 & echo $!`)).stdout.trim();
    try {
      await asRuntime(
        sh`printf '%s\\n' ${victim} > ${`${DATA}/daemon.pid.new`} && mv -f ${`${DATA}/daemon.pid.new`} ${`${DATA}/daemon.pid`}`,
      );
      await asRoot(sh`${SERVICE} stop`, { timeoutMs: 20_000 });
      expect((await asRoot(sh`kill -0 ${victim}`, { okExitCodes: [0, 1] })).exitCode).toBe(0);
      // Nor taken for the daemon.
      const status = await asRoot(sh`${SERVICE} status`, { okExitCodes: [0, 3], timeoutMs: 20_000 });
      expect(status.stdout).not.toContain(victim);
      expect((await asRoot(sh`${SERVICE} running-release`, { okExitCodes: [0, 1], timeoutMs: 20_000 })).stdout).toBe(
        '',
      );

      // A FIFO where the pid should be: every command returns (a root `read` of it would block for ever).
      await asRuntime(sh`rm -f ${`${DATA}/daemon.pid`} && mkfifo ${`${DATA}/daemon.pid`}`);
      for (const command of ['status', 'running-release', 'stop']) {
        const result = await asRoot(sh`${SERVICE} ${command}`, { okExitCodes: [0, 1, 3], timeoutMs: 20_000 });
        expect(result.stdout).not.toContain(rootSecret);
      }
      // A symlink to a root-only file: nothing of it comes back.
      await asRuntime(sh`rm -f ${`${DATA}/daemon.pid`} && ln -s ${ROOT_SECRET} ${`${DATA}/daemon.pid`}`);
      for (const command of ['status', 'running-release', 'stop']) {
        const result = await asRoot(sh`${SERVICE} ${command}`, { okExitCodes: [0, 1, 3], timeoutMs: 20_000 });
        expect(`${result.stdout}${result.stderr}`).not.toContain(rootSecret);
      }
    } finally {
      await asRoot(sh`kill ${victim}`, { okExitCodes: [0, 1] });
      // The daemon still runs: give it its pidfile back.
      await asRuntime(sh`rm -f ${`${DATA}/daemon.pid`} && printf '%s\\n' ${daemon} > ${`${DATA}/daemon.pid`}`);
    }
    expect(rootFiles()).toEqual(rootFilesBefore);
  }, 60_000);

  it('deploy: a FIFO for the state file hangs nothing; the new daemon replaces it and passes', async () => {
    await asRuntime(sh`rm -f ${`${DATA}/daemon.json`} && mkfifo ${`${DATA}/daemon.json`}`);
    const lines: string[] = [];
    const result = await deployRelease(v2, 'boundary-fifo', lines);
    expect(result).toMatchObject({ outcome: 'succeeded', activeVersion: 'v2' });
    expect(lines.join('\n')).not.toContain(rootSecret);
    expect(rootFiles()).toEqual(rootFilesBefore);
  }, 60_000);

  it('deploy: a state file that is a symlink to a root-only file never reaches the deploy log', async () => {
    // The new daemon cannot write its state (its temporary file is a FIFO nobody reads), and the state file is a
    // symlink to a root-only file: the health check times out, and says what it saw.
    await asRuntime(
      sh`rm -f ${`${DATA}/daemon.json`} ${`${DATA}/daemon.json.new`} && mkfifo ${`${DATA}/daemon.json.new`} && ln -s ${ROOT_SECRET} ${`${DATA}/daemon.json`}`,
    );
    const lines: string[] = [];
    try {
      const result = await deployRelease(v1, 'boundary-symlink', lines, 2);
      expect(result.outcome).not.toBe('succeeded');
      expect(`${lines.join('\n')}\n${result.logTail}`).not.toContain(rootSecret);
    } finally {
      await asRuntime(sh`rm -f ${`${DATA}/daemon.json`} ${`${DATA}/daemon.json.new`}`);
    }
    expect(rootFiles()).toEqual(rootFilesBefore);
    // The box recovers with the next deploy.
    expect((await deployRelease(v1, 'boundary-recover')).outcome).toBe('succeeded');
  }, 60_000);
  it('everything at once: a user that keeps planting while root pushes, bootstraps, deploys, checks and stops', async () => {
    const victim = (await asRoot(sh`setsid sleep 600 </dev/null >/dev/null 2>&1 & echo $!`)).stdout.trim();
    // Each round: temporary files become symlinks to root's service script, the bootstrap log a symlink to sudoers,
    // the state file by turns a FIFO and a symlink to a root-only file, the pidfile names root's process.
    const attacker = await startAttacker(
      `${SWAP_TMP_FILES}
  my ($data, $log, $secret, $victim) = @ARGV[0, 2, 3, 4];
  unless (-l "$log/bootstrap.log") { unlink "$log/bootstrap.log"; symlink('/etc/sudoers', "$log/bootstrap.log") and print "hit\\n"; }
  if (-f "$data/daemon.json" && !-l "$data/daemon.json") {
    unlink "$data/daemon.json";
    (($flip = !$flip) ? POSIX::mkfifo("$data/daemon.json", 0600) : symlink($secret, "$data/daemon.json")) and print "hit\\n";
  }
  if (open(my $pf, '<', "$data/daemon.pid")) { my $l = <$pf> // ''; close $pf; chomp $l; if ($l ne $victim) {
    if (open(my $w, '>', "$data/daemon.pid.w")) { print $w "$victim\\n"; close $w; rename("$data/daemon.pid.w", "$data/daemon.pid") and print "hit\\n"; }
  } }`,
      [DATA, SERVICE, '/var/log/paddock', ROOT_SECRET, victim],
    );
    const printed: string[] = [];
    try {
      for (let push = 0; push < 100; push++) {
        await pushSecrets({ pool, target, secrets: { KEY: `chaos-${push}`, FILLER: 'y'.repeat(8 * 1024) } });
      }
      await bootstrapBox({ pool, target, onLog: (line) => printed.push(line) });
      const deploy = await deployRelease(v2, 'boundary-chaos', printed, 2);
      printed.push(deploy.logTail);
      for (const command of ['health', 'status', 'running-release', 'stop', 'restart --no-wait']) {
        const result = await asRoot(sh`${SERVICE} ${command.split(' ')}`, {
          okExitCodes: Array.from({ length: 256 }, (_, i) => i),
          timeoutMs: 45_000,
        });
        printed.push(result.stdout, result.stderr);
      }
      await bootstrapBox({ pool, target, onLog: (line) => printed.push(line) });
    } finally {
      await attacker.stop();
    }
    expect(attacker.hits()).toBeGreaterThan(10);
    expect(rootFiles()).toEqual(rootFilesBefore);
    expect((await asRoot(sh`kill -0 ${victim}`, { okExitCodes: [0, 1] })).exitCode).toBe(0);
    expect(printed.join('\n')).not.toContain(rootSecret);
    await asRoot(sh`kill ${victim}`);
    // The box recovers with the next deploy once the user stops.
    await asRuntime(sh`rm -f ${`${DATA}/daemon.json`} ${`${DATA}/daemon.pid`}`);
    expect((await deployRelease(v1, 'boundary-after-chaos')).outcome).toBe('succeeded');
  }, 120_000);
});
