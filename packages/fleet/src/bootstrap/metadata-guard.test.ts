import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BOX_LAYOUT } from '../deploy/box-layout';
import { metadataGuardInKernel } from './bootstrap-script';
import { renderInfraFiles } from './infra-files';

// The guard's real rules, loaded by the real nft into the kernel, but only ever inside a network namespace this test
// makes and deletes: every nft command goes through `ip netns exec`, so this machine's own firewall is never touched.
// The metadata address is a loopback one (127.0.0.0/8) that exists only on that namespace's own lo: no packet of this
// test leaves it.
const ADDRESS = '127.169.254.254';
const PORT = 80;
const UNPRIVILEGED_UID = 65534; // nobody: any uid but 0 stands for the runtime user that runs tenant code
const NFT = '/usr/sbin/nft'; // the path the unit runs
const TABLE = 'table inet paddock_metadata_guard';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(argv: string[]): Promise<Run> {
  const [file, ...args] = argv as [string, ...string[]];
  return new Promise((resolve) => {
    execFile(file, args, { cwd: '/', timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

// Connects to the address, reads what the server sends, prints `read:<text>` or `error:<code>`.
const CLIENT = `const s = require('node:net').connect({ host: process.argv[1], port: Number(process.argv[2]) });
let d = '';
s.setTimeout(10000, () => { console.log('error:timeout'); s.destroy(); });
s.on('data', (c) => { d += c; });
s.on('end', () => console.log('read:' + d.trim()));
s.on('error', (e) => console.log('error:' + e.code));`;
const SERVER = `require('node:net').createServer((s) => s.end('user-data\\n'))
  .listen(Number(process.argv[2]), process.argv[1], () => console.log('listening'));`;

describe('the metadata guard, loaded into a private network namespace', () => {
  const ns = `paddock-mg-${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'paddock-mg-'));
  // The files the bootstrap installs, rendered by the same code, with the config directory and address moved.
  const files = renderInfraFiles(
    { ...DEFAULT_BOX_LAYOUT, configDir: dir },
    { drainTimeoutMs: 1_000, adminUser: 'root', metadataServiceAddress: ADDRESS },
  );
  const unitLine = (key: string) => {
    const match = new RegExp(`^${key}=(.+)$`, 'm').exec(files.metadataGuardUnit);
    if (!match) throw new Error(`the guard's unit has no ${key}`);
    return match[1]!.split(' ');
  };
  let namespaceMade = false;
  let server: ChildProcess | undefined;

  const inNs = (argv: string[]) => run(['ip', 'netns', 'exec', ns, ...argv]);
  const connectAs = async (uid: number) => {
    const as = uid === 0 ? [] : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'];
    const result = await inNs([...as, process.execPath, '-e', CLIENT, ADDRESS, String(PORT)]);
    expect(result.stderr).toBe('');
    return result.stdout.trim();
  };
  const load = async () => {
    // Exactly what the unit runs at boot (ExecStart), on the rules file where the bootstrap writes it.
    const loaded = await inNs(unitLine('ExecStart'));
    expect(loaded).toMatchObject({ code: 0, stderr: '' });
  };
  const guardTables = async () => {
    const listed = await inNs([NFT, 'list', 'tables']);
    expect(listed.code).toBe(0);
    return listed.stdout.split('\n').filter((line) => line.trim() === TABLE).length;
  };
  // The kernel check the bootstrap runs after loading the rules.
  const bootstrapCheckPasses = async () => (await inNs(['sh', '-c', metadataGuardInKernel(ADDRESS).text])).code === 0;

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('the metadata guard test needs root (network namespaces, nft)');
    if (!existsSync(NFT)) {
      throw new Error(`${NFT} is missing: scripts/services.sh --with-sshd installs nftables (as root, with apt-get)`);
    }
    writeFileSync(join(dir, 'metadata-guard.nft'), files.metadataGuardRules, { mode: 0o644 });
    const added = await run(['ip', 'netns', 'add', ns]);
    if (added.code !== 0) throw new Error(`ip netns add ${ns} failed: ${added.stderr}`);
    namespaceMade = true;
    expect(await inNs(['ip', 'link', 'set', 'lo', 'up'])).toMatchObject({ code: 0 });
    // A stand-in for the metadata service, run by root inside the namespace.
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', SERVER, ADDRESS, String(PORT)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server = child;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('listening')) resolve();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString();
      });
      child.on('exit', (code) => reject(new Error(`the listener exited (${code}): ${err.slice(-400)}`)));
    });
  });

  afterAll(async () => {
    // `ip netns exec` execs the command: this pid is the listener itself.
    if (server?.pid !== undefined && server.exitCode === null) server.kill('SIGKILL');
    if (namespaceMade) await run(['ip', 'netns', 'delete', ns]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('without the table, any user reaches the service, and the bootstrap check says the guard is missing', async () => {
    expect(await guardTables()).toBe(0);
    expect(await bootstrapCheckPasses()).toBe(false);
    expect(await connectAs(0)).toBe('read:user-data');
    expect(await connectAs(UNPRIVILEGED_UID)).toBe('read:user-data');
  });

  it('with the table the unit loads, root still reads the service and any other uid is refused', async () => {
    await load();
    expect(await bootstrapCheckPasses()).toBe(true);
    expect(await connectAs(0)).toBe('read:user-data');
    expect(await connectAs(UNPRIVILEGED_UID)).toBe('error:ECONNREFUSED');
    // The refusal came from this rule: its counter saw the refused attempt.
    const table = await inNs([NFT, 'list', TABLE]);
    expect(table.stdout).toMatch(
      new RegExp(
        `ip daddr ${ADDRESS.replaceAll('.', '\\.')} meta skuid != 0 counter packets [1-9]\\d* bytes \\d+ reject`,
      ),
    );
  });

  it('loading again replaces the table whole: still one table with one rule, still closed', async () => {
    await load();
    await load();
    expect(await guardTables()).toBe(1);
    const table = await inNs([NFT, 'list', TABLE]);
    expect(table.stdout.match(/meta skuid/g)).toHaveLength(1);
    expect(await connectAs(0)).toBe('read:user-data');
    expect(await connectAs(UNPRIVILEGED_UID)).toBe('error:ECONNREFUSED');
  });

  it("the unit's stop command removes the table, and the service opens again", async () => {
    expect(await inNs(unitLine('ExecStop'))).toMatchObject({ code: 0, stderr: '' });
    expect(await guardTables()).toBe(0);
    expect(await connectAs(UNPRIVILEGED_UID)).toBe('read:user-data');
  });
});
