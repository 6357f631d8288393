import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BoxProvider, type BoxSpec, checkBoxName, type ProvidedBox, ProviderError } from '../box-provider';
import { handOverLease, leaseAddress, leaseGivenAddress, releaseAddress } from './box-addresses';
import { childPids, prepareBoxDir } from './start-local-box';

/**
 * Test boxes for the worker process (the `npm start` demo, lifecycle tests): the same sshd-in-namespaces boxes as
 * LocalBoxHarness, but detached from the process that made them, with their record on disk. A worker killed in the
 * middle of provisioning leaves its box running, and the next worker finds it by name: `create` of a name that
 * already runs returns that box instead of making a second one.
 *
 * `guardPid` (tests): every box ends once that process is gone, so a crashed test run leaves nothing behind.
 */
export interface DetachedLocalProviderOptions {
  /** One directory per box (`<stateDir>/<name>/`, its record in `box.json`). Put it on tmpfs for speed. */
  stateDir: string;
  guardPid?: number;
  readyTimeoutMs?: number;
  /**
   * Addresses a new box must not get: those the control plane's records still pin a host key for. Leases live in
   * files of processes that may be gone (a restarted machine), while a box row keeps its address and pin: handing
   * that address to another box would make every connection to the old row raise a false host-key alert.
   */
  reservedAddresses?: () => Promise<Iterable<string>>;
}

interface BoxRecord {
  name: string;
  address: string;
  port: number;
  unsharePid: number;
  initPid: number;
  hostKeyFingerprint: string;
  labels: Record<string, string>;
  createdAt: string;
}

const START_SCRIPT = join(import.meta.dirname, 'start-box.sh');
const RECORD = 'box.json';
const CLAIM = 'creating.pid';

export class DetachedLocalProvider implements BoxProvider {
  readonly kind = 'local' as const;
  private creating = new Map<string, Promise<ProvidedBox>>();

  constructor(private readonly options: DetachedLocalProviderOptions) {}

  create(spec: BoxSpec): Promise<ProvidedBox> {
    const name = checkBoxName(spec.name);
    // Two callers in this process share one creation; other processes are kept out by the claim file.
    const inProgress = this.creating.get(name);
    if (inProgress) return inProgress;
    const creation = this.createOnce(name, spec).finally(() => this.creating.delete(name));
    this.creating.set(name, creation);
    return creation;
  }

  async status(providerId: string): Promise<ProvidedBox> {
    const record = await this.read(providerId);
    if (record && (await running(record))) return describe(record, 'running');
    return {
      provider: 'local',
      providerId,
      name: providerId,
      status: 'gone',
      host: null,
      port: 22,
      username: 'root',
      hostKeyFingerprint: null,
      labels: {},
    };
  }

  async destroy(providerId: string): Promise<void> {
    const name = checkBoxName(providerId);
    const record = await this.read(name);
    if (record) {
      if (await running(record)) {
        try {
          // PID 1 of the box dying makes the kernel end every process in it; unshare then exits.
          process.kill(record.initPid, 'SIGKILL');
        } catch {
          // Ended between the check and the kill.
        }
        await waitUntilGone(record.initPid);
      }
      releaseAddress(record.address);
    }
    await rm(this.boxDir(name), { recursive: true, force: true });
  }

  /**
   * Starts a box again from its directory (after the machine or its sshd went away), on the address its record
   * pins, with everything it had on disk: host key, bootstrap, releases, runs. `gone` when its directory is lost (a
   * tmpfs state directory does not survive a reboot) or its address is held by a live process.
   */
  async revive(providerId: string): Promise<ProvidedBox> {
    const name = checkBoxName(providerId);
    const record = await this.read(name);
    if (!record) return this.status(name);
    if (await running(record)) return describe(record, 'running');
    if (!leaseGivenAddress(record.address)) return describe(record, 'gone');
    try {
      // start() waits for sshd's "listening" line: the previous life's log must not answer for the new one.
      const log = join(this.boxDir(name), 'sshd.log');
      await rename(log, `${log}.previous`).catch(() => {});
      const started = await this.start(this.boxDir(name), name, record.address);
      handOverLease(record.address, started.unsharePid);
      const revived: BoxRecord = { ...record, ...started };
      await writeFile(join(this.boxDir(name), `${RECORD}.tmp`), JSON.stringify(revived));
      await rename(join(this.boxDir(name), `${RECORD}.tmp`), join(this.boxDir(name), RECORD));
      if (this.options.guardPid) guard(this.options.guardPid, started.initPid);
      return describe(revived, 'running');
    } catch (error) {
      releaseAddress(record.address);
      throw new ProviderError('action_failed', `Local box ${name} did not start again: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  async list(): Promise<ProvidedBox[]> {
    const names = await readdir(this.options.stateDir).catch(() => [] as string[]);
    const boxes: ProvidedBox[] = [];
    for (const name of names) {
      const record = await this.read(name);
      if (record) boxes.push(describe(record, (await running(record)) ? 'running' : 'gone'));
    }
    return boxes;
  }

  private async createOnce(name: string, spec: BoxSpec): Promise<ProvidedBox> {
    const existing = await this.read(name);
    if (existing && (await running(existing))) {
      if (existing.hostKeyFingerprint !== spec.hostKey.fingerprint) {
        throw new ProviderError('invalid_input', `Local box ${name} exists with another host key`);
      }
      return describe(existing, 'running');
    }
    const dir = this.boxDir(name);
    await mkdir(this.options.stateDir, { recursive: true });
    await this.claim(name, dir);
    let address: string | undefined;
    try {
      await rm(join(dir, RECORD), { force: true });
      for (const entry of await readdir(dir)) if (entry !== CLAIM) await rm(join(dir, entry), { recursive: true });
      const avoid = new Set(this.options.reservedAddresses ? await this.options.reservedAddresses() : []);
      let started: { unsharePid: number; initPid: number } | undefined;
      // A process outside the lease files (another tool, a box whose lease was lost) may hold an address: next one.
      for (let attempt = 0; !started; attempt++) {
        address = leaseAddress(avoid);
        await prepareBoxDir(dir, address, 22, spec.hostKey, spec.loginPublicKey);
        try {
          started = await this.start(dir, name, address);
        } catch (error) {
          releaseAddress(address);
          avoid.add(address);
          address = undefined;
          if (attempt >= 4 || !/Address already in use/.test((error as Error).message)) throw error;
          for (const entry of await readdir(dir)) if (entry !== CLAIM) await rm(join(dir, entry), { recursive: true });
        }
      }
      if (!address) throw new Error('no address leased');
      handOverLease(address, started.unsharePid);
      const record: BoxRecord = {
        name,
        address,
        port: 22,
        ...started,
        hostKeyFingerprint: spec.hostKey.fingerprint,
        labels: spec.labels ?? {},
        createdAt: new Date().toISOString(),
      };
      await writeFile(join(dir, `${RECORD}.tmp`), JSON.stringify(record));
      await rm(join(dir, CLAIM), { force: true });
      // Written last and by rename: a record on disk always describes a box that started.
      await rename(join(dir, `${RECORD}.tmp`), join(dir, RECORD));
      if (this.options.guardPid) guard(this.options.guardPid, started.initPid);
      return describe(record, 'running');
    } catch (error) {
      if (address) releaseAddress(address);
      await rm(join(dir, CLAIM), { force: true });
      if (error instanceof ProviderError) throw error;
      throw new ProviderError('action_failed', `Local box ${name} did not start: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /** An exclusive claim on the name; a claim whose process died (a killed worker) is taken over. */
  private async claim(name: string, dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    const file = join(dir, CLAIM);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await writeFile(file, String(process.pid), { flag: 'wx' });
        return;
      } catch {
        const holder = Number(await readFile(file, 'utf8').catch(() => '0'));
        if (holder > 0 && holder !== process.pid && pidAlive(holder)) {
          throw new ProviderError('action_failed', `Local box ${name} is being created by process ${holder}`);
        }
        await rm(file, { force: true });
      }
    }
    throw new ProviderError('action_failed', `Could not claim the local box name ${name}`);
  }

  private async start(dir: string, name: string, address: string): Promise<{ unsharePid: number; initPid: number }> {
    const logPath = join(dir, 'sshd.log');
    const log = openSync(logPath, 'a');
    // Its own session and no death signal: the box outlives this process (unlike LocalBoxHarness boxes).
    const child = spawn(
      'unshare',
      [
        '--mount',
        '--pid',
        '--uts',
        '--fork',
        '--mount-proc',
        '--kill-child=SIGKILL',
        '--',
        'bash',
        START_SCRIPT,
        dir,
        name,
      ],
      { detached: true, stdio: ['ignore', 'ignore', log] },
    );
    closeSync(log);
    child.unref();
    let exited: string | undefined;
    child.once('exit', (code, signal) => {
      exited = String(code ?? signal);
    });
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 10_000);
    for (;;) {
      const output = await readFile(logPath, 'utf8').catch(() => '');
      if (output.includes('Server listening on')) break;
      if (exited !== undefined || Date.now() > deadline) {
        if (exited === undefined && child.pid) process.kill(child.pid, 'SIGKILL');
        // Read again: the exit may have come between the read above and this check, with the reason (e.g. "Address
        // already in use", which the caller retries on another address) written just before it.
        const last = await readFile(logPath, 'utf8').catch(() => output);
        throw new Error(`sshd on ${address} ${exited ? `exited (${exited})` : 'did not start'}: ${last.slice(-400)}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    const unsharePid = child.pid;
    const [initPid] = unsharePid ? await childPids(unsharePid) : [];
    if (!unsharePid || initPid === undefined) throw new Error('the box started but its init process is not visible');
    return { unsharePid, initPid };
  }

  private async read(name: string): Promise<BoxRecord | undefined> {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(name)) return undefined;
    try {
      return JSON.parse(await readFile(join(this.boxDir(name), RECORD), 'utf8')) as BoxRecord;
    } catch {
      return undefined;
    }
  }

  private boxDir(name: string): string {
    return join(this.options.stateDir, name);
  }
}

function describe(record: BoxRecord, status: 'running' | 'gone'): ProvidedBox {
  return {
    provider: 'local',
    providerId: record.name,
    name: record.name,
    status,
    host: status === 'running' ? record.address : null,
    port: record.port,
    username: 'root',
    hostKeyFingerprint: record.hostKeyFingerprint,
    labels: record.labels,
  };
}

// The pid must still be the box's sshd: after a reboot or a long time a recycled pid could be anything.
async function running(record: BoxRecord): Promise<boolean> {
  const comm = await readFile(`/proc/${record.initPid}/comm`, 'utf8').catch(() => '');
  return comm.trim() === 'sshd';
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitUntilGone(pid: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    const state = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // Gone, or a zombie waiting for unshare to reap it: either way nothing of the box runs.
    if (!state || / Z /.test(state)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A detached watcher that ends the box when the guarding process ends (or stops watching when the box does). */
function guard(guardPid: number, initPid: number): void {
  const watcher = spawn(
    'sh',
    [
      '-c',
      'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; kill -KILL "$2" 2>/dev/null',
      'guard',
      String(guardPid),
      String(initPid),
    ],
    { detached: true, stdio: 'ignore' },
  );
  watcher.unref();
}
