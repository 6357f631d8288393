import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSshKeyPair, SshPool, sh } from '@paddock/fleet';
import {
  authorizeKeyCommand,
  ByoProvider,
  LocalBoxHarness,
  LocalProvider,
  type ProvidedBox,
  ProviderError,
} from '@paddock/providers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectEvents } from './support/test-boxes';

let harness: LocalBoxHarness;
const loginKey = generateSshKeyPair('paddock control plane');

beforeAll(() => {
  harness = new LocalBoxHarness();
});

afterAll(async () => {
  await harness?.destroyAll();
});

describe('local provider', () => {
  it('creates, reports, lists and destroys test boxes behind the provider interface', async () => {
    const local = new LocalProvider(harness);
    const hostKey = generateSshKeyPair('host');
    const box = await local.create({
      name: 'local-1',
      loginPublicKey: loginKey.publicKey,
      hostKey,
      labels: { tenant: 't1' },
    });
    expect(box).toMatchObject({
      provider: 'local',
      providerId: 'local-1',
      status: 'running',
      port: 22,
      username: 'root',
      hostKeyFingerprint: hostKey.fingerprint,
      labels: { tenant: 't1' },
    });
    expect(box.host).toMatch(/^127\.77\.\d+\.\d+$/);
    expect((await local.list()).map((b) => b.providerId)).toEqual(['local-1']);
    await local.destroy('local-1');
    expect((await local.status('local-1')).status).toBe('gone');
    expect(await local.list()).toEqual([]);
  });
});

describe('bring-your-own provider', () => {
  it('registers a reachable host, whose host key is then learned on first use and recorded', async () => {
    const existing = await harness.createBox({ name: 'byo-host', authorizedKey: loginKey.publicKey });
    const registered: ProvidedBox[] = [];
    const byo = new ByoProvider(async () => registered);
    const box = await byo.create({
      name: 'customer-vm',
      host: existing.host,
      port: existing.port,
      loginPublicKey: loginKey.publicKey,
    });
    expect(box).toMatchObject({ provider: 'byo', status: 'running', username: 'root', hostKeyFingerprint: null });
    registered.push(box);
    expect((await byo.status(box.providerId)).status).toBe('running');
    const recorder = collectEvents();
    const pool = new SshPool({ recorder });
    try {
      const connection = await pool.connect({
        id: box.name,
        host: box.host!,
        port: box.port,
        username: box.username,
        privateKey: loginKey.privateKey,
        hostKey: { kind: 'trust-on-first-use' },
      });
      expect((await connection.exec(sh`hostname`)).stdout.trim()).toBe('byo-host');
      expect(recorder.events).toEqual([
        expect.objectContaining({ type: 'host_key.trusted_on_first_use', fingerprint: existing.hostKeyFingerprint }),
      ]);
    } finally {
      await pool.close(1_000);
    }
    await byo.destroy(box.providerId);
    expect((await harness.list()).map((b) => b.id)).toContain('byo-host');
  });

  it('reports an unreachable host, refuses bad input, and keeps a pinned fingerprint when given', async () => {
    const byo = new ByoProvider(async () => [], { probeTimeoutMs: 500 });
    const closed = await byo.create({
      name: 'down',
      host: '127.77.250.250',
      port: 2,
      loginPublicKey: loginKey.publicKey,
    });
    expect(closed.status).toBe('unreachable');
    const pinned = await byo.create({
      name: 'pinned',
      host: '127.77.250.250',
      port: 2,
      loginPublicKey: loginKey.publicKey,
      hostKeyFingerprint: loginKey.fingerprint,
    });
    expect(pinned.hostKeyFingerprint).toBe(loginKey.fingerprint);
    const bad = [
      { host: 'a b' },
      { host: '$(touch /tmp/pwned)' },
      { host: 'ok.example', port: 70_000 },
      { host: 'ok.example', username: 'root; id' },
      { host: 'ok.example', hostKeyFingerprint: 'MD5:aa' },
    ];
    for (const input of bad) {
      await expect(byo.create({ name: 'x', loginPublicKey: loginKey.publicKey, ...input })).rejects.toThrow(
        ProviderError,
      );
    }
    await expect(byo.status('nowhere:22')).rejects.toThrow(/No bring-your-own host/);
  });

  it('gives the operator a command that installs the key exactly, and refuses anything else', () => {
    const home = mkdtempSync(join(tmpdir(), 'byo-home-'));
    try {
      const command = authorizeKeyCommand(loginKey.publicKey);
      execFileSync('sh', ['-c', command], { env: { HOME: home, PATH: process.env.PATH } });
      expect(readFileSync(join(home, '.ssh/authorized_keys'), 'utf8')).toBe(`${loginKey.publicKey}\n`);
      expect(() => authorizeKeyCommand(`${loginKey.publicKey}\nssh-ed25519 AAAA evil`)).toThrow(ProviderError);
      // A hostile comment stays a comment: appended as text, nothing runs.
      const hostile = `${loginKey.publicKey.split(' ').slice(0, 2).join(' ')} x'; touch "$HOME/pwned"; '$(id)`;
      execFileSync('sh', ['-c', authorizeKeyCommand(hostile)], { env: { HOME: home, PATH: process.env.PATH } });
      expect(readFileSync(join(home, '.ssh/authorized_keys'), 'utf8')).toBe(`${loginKey.publicKey}\n${hostile}\n`);
      expect(existsSync(join(home, 'pwned'))).toBe(false);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
