import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSshKeyPair, type SshKeyPair } from '@paddock/fleet';
import { leaseAddress, releaseAddress } from './box-addresses';
import { BoxStartError, childPids, type LocalBoxProcess, prepareBoxDir, startBoxProcess } from './start-local-box';

export interface LocalBox {
  id: string;
  host: string;
  port: number;
  /** Pinned before first contact: the harness made the host key. */
  hostKeyFingerprint: string;
  /** This box's directory on the host (its etc, home, opt, var-lib, var-log, root). */
  dir: string;
  /** Host path at which the box's own `/path` is visible (through /proc/<pid>/root, tmpfs mounts included). */
  pathOnHost(path: string): string;
  /** Replaces the host key and restarts sshd with it: what a reinstalled or impersonated box looks like. */
  rotateHostKey(): Promise<string>;
  /** Kills every SSH session on the box (sshd keeps listening): a dropped link as the control plane sees it. */
  dropConnections(): Promise<number>;
  /**
   * SIGKILLs every process of the box but its sshd listener (PID 1): sessions, daemons, their supervisor, agents.
   * What a reboot leaves behind before boot starts the services again (files stay, as on a disk).
   */
  killProcesses(): Promise<number>;
  alive(): boolean;
}

export interface CreateBoxOptions {
  /** Public key allowed to log in as root (the control plane's per-box key). */
  authorizedKey: string;
  /** A host key made beforehand (as a provider pre-seeds it); generated when absent. */
  hostKey?: SshKeyPair;
  port?: number;
  name?: string;
}

interface RunningBox {
  box: LocalBox;
  process: LocalBoxProcess;
}

const live = new Set<LocalBoxHarness>();
let exitHookInstalled = false;

/**
 * Creates and destroys test boxes (real sshd in their own PID and mount namespaces, see start-box.sh). Everything
 * lives under one directory per harness; `destroyAll` (and process exit, and the death of this process) ends them.
 */
export class LocalBoxHarness {
  readonly dir: string;
  private boxes = new Map<string, RunningBox>();
  private counter = 0;

  constructor(options: { baseDir?: string } = {}) {
    const base = options.baseDir ?? defaultBaseDir();
    sweepDeadRuns(base);
    this.dir = join(base, `run-${process.pid}-${randomBytes(3).toString('hex')}`);
    live.add(this);
    installExitHook();
  }

  async createBox(options: CreateBoxOptions): Promise<LocalBox> {
    const id = options.name ?? `box-${++this.counter}`;
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(id)) throw new Error(`invalid test box name ${JSON.stringify(id)}`);
    const hostKey = options.hostKey ?? generateSshKeyPair(`${id} host key`);
    const port = options.port ?? 22;
    const boxDir = join(this.dir, id);
    const tried = new Set<string>();
    for (let attempt = 0; attempt < 20; attempt++) {
      const address = leaseAddress(tried);
      tried.add(address);
      try {
        await rm(boxDir, { recursive: true, force: true });
        await prepareBoxDir(boxDir, address, port, hostKey, options.authorizedKey);
        const started = await startBoxProcess(boxDir, id, address, port);
        const box = describeBox(id, started, hostKey.fingerprint);
        this.boxes.set(id, { box, process: started });
        return box;
      } catch (error) {
        releaseAddress(address);
        // Someone outside our lease files (a host sshd, another tool) holds the address: take the next one.
        if (error instanceof BoxStartError && error.addressInUse) continue;
        throw error;
      }
    }
    throw new Error('could not find a free loopback address for a test box after 20 tries');
  }

  /** Creates `count` boxes, a few at a time (copying /etc and starting sshd is disk and CPU work). */
  async createBoxes(
    count: number,
    options: Omit<CreateBoxOptions, 'name' | 'hostKey'>,
    concurrency = 4,
  ): Promise<LocalBox[]> {
    const names = Array.from({ length: count }, () => `box-${++this.counter}`);
    const boxes: LocalBox[] = new Array(count);
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const index = next++;
        boxes[index] = await this.createBox({ ...options, name: names[index] });
      }
    };
    // Every worker settles before a failure is reported: a caller that cleans up at once would otherwise remove box
    // directories under a `cp` still copying into them, and report that instead of why the box did not start.
    const settled = await Promise.allSettled(Array.from({ length: Math.min(concurrency, count) }, worker));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    return boxes;
  }

  get(id: string): LocalBox | undefined {
    return this.boxes.get(id)?.box;
  }

  list(): LocalBox[] {
    return [...this.boxes.values()].map((b) => b.box);
  }

  async destroyBox(id: string): Promise<void> {
    const running = this.boxes.get(id);
    if (!running) return;
    this.boxes.delete(id);
    await stopBox(running.process);
    releaseAddress(running.process.address);
    await rm(running.process.boxDir, { recursive: true, force: true });
  }

  async destroyAll(): Promise<void> {
    await Promise.all([...this.boxes.keys()].map((id) => this.destroyBox(id)));
    await rm(this.dir, { recursive: true, force: true });
    live.delete(this);
  }

  /** Synchronous last resort for process exit: kill every box, remove what is left. */
  killAllNow(): void {
    for (const { process } of this.boxes.values()) {
      try {
        globalThis.process.kill(process.initPid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      releaseAddress(process.address);
    }
    this.boxes.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function describeBox(id: string, proc: LocalBoxProcess, initialFingerprint: string): LocalBox {
  let fingerprint = initialFingerprint;
  const box: LocalBox = {
    id,
    host: proc.address,
    port: proc.port,
    get hostKeyFingerprint() {
      return fingerprint;
    },
    dir: proc.boxDir,
    pathOnHost: (path) => `/proc/${proc.initPid}/root${path.startsWith('/') ? path : `/${path}`}`,
    rotateHostKey: async () => {
      const key = generateSshKeyPair(`${id} host key (rotated)`);
      await writeFile(join(proc.boxDir, 'etc/ssh/ssh_host_ed25519_key'), key.privateKey, { mode: 0o600 });
      await writeFile(join(proc.boxDir, 'etc/ssh/ssh_host_ed25519_key.pub'), `${key.publicKey}\n`);
      // sshd re-executes itself on SIGHUP and reads its host keys again; it is PID 1 of the box.
      const restartsBefore = await countListening(proc);
      process.kill(proc.initPid, 'SIGHUP');
      fingerprint = key.fingerprint;
      await waitForRestart(proc, restartsBefore);
      return key.fingerprint;
    },
    dropConnections: async () => {
      // Only sshd's per-connection processes: daemons that detached are children of the box's PID 1 too.
      const sessions: number[] = [];
      for (const pid of await childPids(proc.initPid)) {
        const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
        if (comm.trim() === 'sshd') sessions.push(pid);
      }
      for (const pid of sessions) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Ended on its own.
        }
      }
      return sessions.length;
    },
    killProcesses: async () => {
      // Every process in the box's pid namespace (detached daemons are re-parented to PID 1, sessions are its
      // children): found by namespace, not by tree, so a double fork cannot escape. Passes repeat until one finds
      // nothing alive, so a supervisor's child forked during a pass is caught by the next.
      const namespace = await readlink(`/proc/${proc.initPid}/ns/pid`);
      let killed = 0;
      for (let pass = 0; pass < 50; pass++) {
        let found = 0;
        for (const name of await readdir('/proc')) {
          const pid = Number(name);
          if (!Number.isInteger(pid) || pid === proc.initPid) continue;
          if ((await readlink(`/proc/${pid}/ns/pid`).catch(() => '')) !== namespace) continue;
          // A zombie is already dead (PID 1 reaps it): signalling it again would never end the passes.
          const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
          if (stat === '' || / Z /.test(stat.slice(stat.lastIndexOf(')')))) continue;
          try {
            process.kill(pid, 'SIGKILL');
            found++;
          } catch {
            // Ended on its own.
          }
        }
        if (found === 0) return killed;
        killed += found;
      }
      throw new Error(`test box ${proc.address}: processes kept appearing while every process was being killed`);
    },
    alive: () => proc.child.exitCode === null && proc.child.signalCode === null,
  };
  return box;
}

// A TCP probe is not proof: until sshd handles the signal, the old listener still accepts. Its log line is.
async function waitForRestart(proc: LocalBoxProcess, listeningBefore: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    if ((await countListening(proc)) > listeningBefore) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`test box ${proc.address} did not listen again after SIGHUP`);
}

async function countListening(proc: LocalBoxProcess): Promise<number> {
  const log = await readFile(join(proc.boxDir, 'sshd.log'), 'utf8').catch(() => '');
  return log.split('Server listening on').length - 1;
}

async function stopBox(proc: LocalBoxProcess): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.child.once('exit', () => resolve()));
  try {
    // The box's PID 1 dying makes the kernel kill every process of the box; unshare then exits.
    process.kill(proc.initPid, 'SIGKILL');
  } catch {
    proc.child.kill('SIGKILL');
  }
  await exited;
}

// tmpfs when there is one: copying /etc onto this machine's ext4 takes 0.6 s a box, onto tmpfs 40 ms.
function defaultBaseDir(): string {
  return existsSync('/dev/shm') ? '/dev/shm/paddock-boxes' : join(tmpdir(), 'paddock-boxes');
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const harness of live) harness.killAllNow();
  });
}

// Runs whose process died without cleaning up (SIGKILL, power loss) leave directories behind: remove them.
function sweepDeadRuns(base: string): void {
  if (!existsSync(base)) return;
  for (const name of readdirSync(base)) {
    const pid = Number(/^run-(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch {
      rmSync(join(base, name), { recursive: true, force: true });
    }
  }
}
