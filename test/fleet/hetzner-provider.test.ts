import { bootstrapBox, generateSshKeyPair, SshPool, sh } from '@paddock/fleet';
import { HetznerApiError, HetznerClient, HetznerProvider, LocalBoxHarness, ProviderError } from '@paddock/providers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type LocalHetznerApi, serversAsLocalBoxes, startLocalHetznerApi } from './support/local-hetzner-api';

const TOKEN = 'test-token-not-a-secret';
let api: LocalHetznerApi;
let harness: LocalBoxHarness;
let pool: SshPool;
const loginKey = generateSshKeyPair('paddock control plane');

beforeAll(async () => {
  harness = new LocalBoxHarness();
  pool = new SshPool({ timeouts: { connectMs: 10_000 } });
  api = await startLocalHetznerApi({
    token: TOKEN,
    maxPerPage: 2,
    // A created server becomes a real test box, with the host key its cloud-init user data carries.
    ...serversAsLocalBoxes(harness),
  });
});

afterAll(async () => {
  await pool?.close(2_000);
  await api?.close();
  await harness?.destroyAll();
});

function provider(options: { maxRateLimitWaitMs?: number } = {}) {
  const client = new HetznerClient({ token: TOKEN, baseUrl: api.url, actionPollMs: 20, ...options });
  return new HetznerProvider(client, { serverType: 'cx22', image: 'debian-12', location: 'fsn1' });
}

describe('Hetzner provider against a local Hetzner API', () => {
  it('creates a server whose pre-seeded host key is pinned before first contact, then bootstraps it', async () => {
    const hostKey = generateSshKeyPair('box host key');
    const box = await provider().create({
      name: 'tenant-a',
      loginPublicKey: loginKey.publicKey,
      hostKey,
      labels: { tenant: 'a' },
    });
    expect(box).toMatchObject({
      provider: 'hetzner',
      name: 'tenant-a',
      status: 'running',
      port: 22,
      username: 'root',
      hostKeyFingerprint: hostKey.fingerprint,
      labels: { tenant: 'a', 'paddock-managed': 'true' },
    });
    const created = api.requests.find((r) => r.method === 'POST' && r.path === '/v1/servers');
    expect(created?.body).toMatchObject({
      server_type: 'cx22',
      image: 'debian-12',
      location: 'fsn1',
      start_after_create: true,
    });
    const userData = parse((created!.body as { user_data: string }).user_data);
    expect(userData).toMatchObject({ ssh_deletekeys: true, ssh_genkeytypes: [], ssh_pwauth: false });
    expect(userData.ssh_keys.ed25519_private).toBe(hostKey.privateKey);
    // The control plane reaches the new box with the fingerprint pinned from the start.
    const target = {
      id: box.providerId,
      host: box.host!,
      port: box.port,
      username: box.username,
      privateKey: loginKey.privateKey,
      hostKey: { kind: 'pinned' as const, fingerprint: box.hostKeyFingerprint! },
    };
    const result = await bootstrapBox({ pool, target });
    expect(result.steps.find((s) => s.step === 'runtime-user')?.changed).toBe(true);
    expect((await (await pool.connect(target)).exec(sh`hostname`)).stdout.trim()).toBe('tenant-a');
  });

  it('uploads the login key only when its fingerprint is not registered yet', async () => {
    await provider().create({ name: 'tenant-b', loginPublicKey: loginKey.publicKey, hostKey: generateSshKeyPair('b') });
    const keyUploads = api.requests.filter((r) => r.method === 'POST' && r.path === '/v1/ssh_keys');
    expect(keyUploads).toHaveLength(1);
    expect(api.sshKeys.size).toBe(1);
    const lookups = api.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/v1/ssh_keys?fingerprint='));
    expect(lookups).toHaveLength(2);
  });

  it('lists the servers it manages across pages, reports status, and destroys', async () => {
    await provider().create({ name: 'tenant-c', loginPublicKey: loginKey.publicKey, hostKey: generateSshKeyPair('c') });
    const listed = await provider().list();
    expect(listed.map((b) => b.name).sort()).toEqual(['tenant-a', 'tenant-b', 'tenant-c']);
    expect(api.requests.filter((r) => r.path.startsWith('/v1/servers?')).length).toBeGreaterThanOrEqual(2);
    const c = listed.find((b) => b.name === 'tenant-c')!;
    expect((await provider().status(c.providerId)).status).toBe('running');
    await provider().destroy(c.providerId);
    expect((await provider().status(c.providerId)).status).toBe('gone');
    expect(harness.get('tenant-c')).toBeUndefined();
    await provider().destroy(c.providerId); // already gone: nothing to do, no error
  });

  it('waits for the rate-limit reset on 429 and then carries on', async () => {
    const resetAt = Date.now() + 1_200;
    api.throttleUntil(resetAt);
    const before = api.requests.length;
    const listed = await provider().list();
    expect(listed.length).toBeGreaterThan(0);
    const seen = api.requests.slice(before);
    expect(seen[0]?.status).toBe(429);
    const firstOk = seen.find((r) => r.status === 200);
    // The retry came after the reset the API announced (whole seconds), not in a tight loop.
    expect(firstOk!.at).toBeGreaterThanOrEqual(Math.floor(resetAt / 1000) * 1000);
    expect(seen.filter((r) => r.status === 429).length).toBeLessThanOrEqual(3);
  });

  it('gives up when the reset is further away than it may wait', async () => {
    api.throttleUntil(Date.now() + 5_000);
    const error = await provider({ maxRateLimitWaitMs: 500 })
      .list()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HetznerApiError);
    expect((error as HetznerApiError).failure).toBe('rate_limited');
    api.throttleUntil(0);
  });

  it('reports a failed create action with the API reason, and refuses bad input before calling the API', async () => {
    const client = new HetznerClient({ token: TOKEN, baseUrl: api.url, actionPollMs: 20 });
    const broken = new HetznerProvider(client, { serverType: 'cx-broken', image: 'debian-12' });
    await expect(
      broken.create({ name: 'tenant-x', loginPublicKey: loginKey.publicKey, hostKey: generateSshKeyPair('x') }),
    ).rejects.toThrow('Hetzner action create_server failed: server_error: no capacity for this server type');
    const requestsBefore = api.requests.length;
    for (const name of ['Bad Name', '$(touch /tmp/pwned)', '-x', 'a'.repeat(64)]) {
      await expect(
        provider().create({ name, loginPublicKey: loginKey.publicKey, hostKey: generateSshKeyPair('y') }),
      ).rejects.toThrow(ProviderError);
    }
    await expect(
      provider().create({
        name: 'ok-name',
        loginPublicKey: loginKey.publicKey,
        hostKey: generateSshKeyPair('z'),
        labels: { 'bad key!': 'v' },
      }),
    ).rejects.toThrow(/label rules/);
    expect(api.requests.length).toBe(requestsBefore);
  });

  it('surfaces authentication errors with the API code', async () => {
    const client = new HetznerClient({ token: 'wrong', baseUrl: api.url });
    const error = await client.listServers('x=y').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HetznerApiError);
    expect((error as HetznerApiError).apiCode).toBe('unauthorized');
    expect((error as HetznerApiError).httpStatus).toBe(401);
  });
});
