import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { ExecError, FleetError, generateSshKeyPair, joinCommands, type SshPool, sh } from '@paddock/fleet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zeroLeadingKeyPair } from './support/edge-keys';
import { HOSTILE_STRINGS, MARKER } from './support/hostile-strings';
import { waitFor } from '../support/wait-for';
import { collectEvents, createTestFleet, type TestFleet } from './support/test-boxes';

let fleet: TestFleet;
let pool: SshPool;

beforeAll(async () => {
  fleet = await createTestFleet(3);
  pool = fleet.pool();
});

afterAll(async () => {
  await fleet?.destroy();
});

describe('connections to test boxes', () => {
  it('reuses one connection per box and keeps boxes apart', async () => {
    const [a, b] = fleet.boxes;
    const first = await pool.connect(fleet.target(a!));
    const again = await pool.connect(fleet.target(a!));
    expect(again).toBe(first);
    await first.exec(sh`useradd --system --no-create-home only-on-a`);
    const onB = await (await pool.connect(fleet.target(b!))).exec(sh`id only-on-a`, { okExitCodes: [0, 1] });
    expect(onB.exitCode).toBe(1);
    const onA = await first.exec(sh`id -u only-on-a`);
    expect(Number(onA.stdout)).toBeGreaterThan(0);
    expect((await first.exec(sh`hostname`)).stdout.trim()).toBe(a!.id);
  });

  it('reports a failing command as an ExecError with box, command, exit code and output tails', async () => {
    const connection = await pool.connect(fleet.target(fleet.boxes[0]!));
    const error = await connection.exec(sh`echo partial; echo broken >&2; exit 7`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecError);
    const execError = error as ExecError;
    expect(execError.boxId).toBe(fleet.boxes[0]!.id);
    expect(execError.exitCode).toBe(7);
    expect(execError.command).toBe('echo partial; echo broken >&2; exit 7');
    expect(execError.stdoutTail).toBe('partial\n');
    expect(execError.stderrTail).toBe('broken\n');
    expect(execError.message).toContain('exited with 7');
    expect(execError.message).toContain('broken');
  });

  it('streams output while the command runs', async () => {
    const connection = await pool.connect(fleet.target(fleet.boxes[0]!));
    const seen: { at: number; text: string }[] = [];
    const started = Date.now();
    await connection.exec(sh`echo one; sleep 0.3; echo two`, {
      onStdout: (chunk) => seen.push({ at: Date.now() - started, text: chunk.toString() }),
    });
    expect(seen.map((s) => s.text).join('')).toBe('one\ntwo\n');
    // "one" arrived before the command finished, not in one piece at the end.
    expect(seen[0]!.text).toBe('one\n');
    expect(seen[seen.length - 1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(250);
  });

  it('kills a command that outlives its timeout, on the box too', async () => {
    const box = fleet.boxes[1]!;
    const connection = await pool.connect(fleet.target(box));
    const error = await connection
      .exec(sh`echo $$ > /tmp/sleeper.pid; exec sleep 30`, { timeoutMs: 300 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecError);
    expect((error as ExecError).failure).toBe('exec_timeout');
    const pid = (await connection.exec(sh`cat /tmp/sleeper.pid`)).stdout.trim();
    const gone = await waitFor(
      `the sleeper (pid ${pid}) to be killed on the box`,
      async () => (await connection.exec(sh`kill -0 ${pid}`, { okExitCodes: [0, 1] })).exitCode === 1,
      5_000,
      50,
    );
    expect(gone).toBe(true);
  });

  it('runs long scripts from stdin, immune to commands that read stdin', async () => {
    const connection = await pool.connect(fleet.target(fleet.boxes[0]!));
    const lines = Array.from({ length: 3000 }, (_, i) => sh`echo ${`line ${i} with some padding to make it long`}`);
    lines.splice(10, 0, sh`cat`); // would eat the rest of the script if it were read from stdin
    const result = await connection.execScript(joinCommands(lines));
    expect(result.stdout.split('\n').filter(Boolean)).toHaveLength(3000);
  });

  it('passes every hostile operator string as one literal word, and nothing runs', async () => {
    const box = fleet.boxes[2]!;
    const connection = await pool.connect(fleet.target(box));
    for (const value of HOSTILE_STRINGS) {
      const direct = await connection.exec(sh`printf '%s' ${value}`);
      expect(direct.stdout).toBe(value);
      const script = await connection.execScript(sh`printf '%s' ${value}`);
      expect(script.stdout).toBe(value);
      const name = value.replaceAll('/', '_');
      await connection.exec(sh`mkdir -p /tmp/names && : > /tmp/names/${name}`);
      expect(existsSync(box.pathOnHost(`/tmp/names/${name}`))).toBe(true);
      await connection.exec(sh`rm -rf /tmp/names`);
    }
    expect(existsSync(box.pathOnHost(MARKER))).toBe(false);
    expect(existsSync(box.pathOnHost('/tmp'))).toBe(true);
  });

  it('does not close a connection under a command in flight', async () => {
    const own = fleet.pool();
    const connection = await own.connect(fleet.target(fleet.boxes[0]!));
    // The command runs until the test lets it finish, so the close certainly comes while it is in flight.
    const box = fleet.boxes[0]!;
    const [started, release] = ['/tmp/in-flight.started', '/tmp/in-flight.release'];
    rmSync(box.pathOnHost(started), { force: true });
    rmSync(box.pathOnHost(release), { force: true });
    const running = connection.exec(sh`: > ${started}; while [ ! -e ${release} ]; do sleep 0.02; done; echo finished`);
    await waitFor('the command to start on the box', () => existsSync(box.pathOnHost(started)));
    const closing = own.close(10_000);
    writeFileSync(box.pathOnHost(release), '');
    expect((await running).stdout).toBe('finished\n');
    await closing;
    expect(connection.alive).toBe(false);
  });

  it('fails in-flight work with connection_lost when the box drops the link, then dials again', async () => {
    const box = fleet.boxes[1]!;
    const connection = await pool.connect(fleet.target(box));
    const started = '/tmp/dropped-link.started';
    rmSync(box.pathOnHost(started), { force: true });
    const running = connection.exec(sh`: > ${started}; sleep 5`).catch((e: unknown) => e);
    await waitFor('the command to start on the box', () => existsSync(box.pathOnHost(started)));
    expect(await box.dropConnections()).toBeGreaterThan(0);
    const error = await running;
    expect(error).toBeInstanceOf(FleetError);
    expect((error as FleetError).failure).toBe('connection_lost');
    expect((error as FleetError).retriable).toBe(true);
    const fresh = await pool.connect(fleet.target(box));
    expect(fresh).not.toBe(connection);
    expect((await fresh.exec(sh`echo back`)).stdout).toBe('back\n');
  });

  it('gives up on an unreachable box within the connect timeout', async () => {
    const own = fleet.pool({ timeouts: { connectMs: 500 } });
    const target = { ...fleet.target(fleet.boxes[0]!), port: 1 };
    const error = await own.connect(target).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FleetError);
    expect((error as FleetError).failure).toBe('connect_failed');
  });

  it('logs in with keys whose public half starts with a zero byte (login key and host key)', async () => {
    const login = zeroLeadingKeyPair('login', 'a');
    const hostKey = zeroLeadingKeyPair('host', 'b');
    const box = await fleet.harness.createBox({ name: 'edge-keys', authorizedKey: login.publicKey, hostKey });
    const own = fleet.pool();
    const connection = await own.connect({
      ...fleet.target(box),
      privateKey: login.privateKey,
      hostKey: { kind: 'pinned', fingerprint: hostKey.fingerprint },
    });
    expect((await connection.exec(sh`hostname`)).stdout).toBe('edge-keys\n');
    await fleet.harness.destroyBox('edge-keys');
  });

  it('refuses a key the box does not know', async () => {
    const stranger = generateSshKeyPair('stranger');
    const error = await fleet
      .pool()
      .connect(fleet.target(fleet.boxes[0]!, { privateKey: stranger.privateKey }))
      .catch((e: unknown) => e);
    expect((error as FleetError).failure).toBe('auth_failed');
  });
});

describe('host keys', () => {
  it('trusts on first use only when allowed, records it, then pins what it learned', async () => {
    const recorder = collectEvents();
    const own = fleet.pool({ recorder });
    const box = fleet.boxes[2]!;
    const target = fleet.target(box, { hostKey: { kind: 'trust-on-first-use' } });
    const connection = await own.connect(target);
    expect(connection.fingerprint).toBe(box.hostKeyFingerprint);
    expect(recorder.events).toEqual([
      {
        type: 'host_key.trusted_on_first_use',
        boxId: box.id,
        address: `root@${box.host}:${box.port}`,
        fingerprint: box.hostKeyFingerprint,
      },
    ]);
    expect(own.learnedFingerprint(target)).toBe(box.hostKeyFingerprint);
  });

  it('refuses a changed host key, raises an alert, and never authenticates to it', async () => {
    const recorder = collectEvents();
    const own = fleet.pool({ recorder });
    const box = fleet.boxes[0]!;
    const pinned = box.hostKeyFingerprint;
    const target = fleet.target(box);
    await box.rotateHostKey();
    const error = await own.connect(target).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FleetError);
    expect((error as FleetError).failure).toBe('host_key_mismatch');
    expect((error as FleetError).message).toContain(pinned);
    expect(recorder.events).toEqual([
      {
        type: 'host_key.mismatch',
        boxId: box.id,
        address: `root@${box.host}:${box.port}`,
        expected: pinned,
        presented: box.hostKeyFingerprint,
      },
    ]);
    // The box's sshd log shows no accepted login after the key change.
    const { readFileSync } = await import('node:fs');
    const log = readFileSync(`${box.dir}/sshd.log`, 'utf8');
    const afterRotation = log.slice(log.lastIndexOf('Server listening'));
    expect(afterRotation).not.toContain('Accepted publickey');
  });
});
