import { readlinkSync } from 'node:fs';
import { describePublicKey } from '@paddock/fleet';
import { LocalBoxHarness } from '@paddock/providers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type LifecycleEnv, startLifecycleEnv } from '../lifecycle/support/lifecycle-env';
import { type OperatorApi, startOperatorApi } from '../lifecycle/support/operator-api';
import { type LocalHetznerApi, serversAsLocalBoxes, startLocalHetznerApi } from './support/local-hetzner-api';

// A signup on a Hetzner plan, end to end: a real worker process drives the real Hetzner client against a loopback
// stand-in of the documented API (ssh key, create server with cloud-init, actions polled, server status, delete).
// The stand-in's server is a real sshd test box on 127.77.0.N wearing the host key the user data carried, so the
// workflow pins it, replaces it, bootstraps and deploys over real SSH and the tenant becomes active; deleting the
// tenant deletes the server through the API.
const TOKEN = 'hetzner-stand-in-token';
let env: LifecycleEnv;
let ops: OperatorApi;
let hetzner: LocalHetznerApi;
let harness: LocalBoxHarness;

beforeAll(async () => {
  harness = new LocalBoxHarness();
  hetzner = await startLocalHetznerApi({ token: TOKEN, ...serversAsLocalBoxes(harness) });
  env = await startLifecycleEnv();
  ops = await startOperatorApi(env);
  // The plan a signup takes names the provider, server type and location its box gets.
  await env.prisma.plan.update({
    where: { code: 'starter' },
    data: { provider: 'hetzner', serverType: 'cx32', region: 'fsn1' },
  });
  await env.startWorker('hetzner-worker', { HETZNER_API_TOKEN: TOKEN, HETZNER_API_URL: hetzner.url });
}, 120_000);

afterAll(async () => {
  await ops?.app.close();
  await env?.close();
  await hetzner?.close();
  await harness?.destroyAll();
});

const calls = (method: string, prefix: string) =>
  hetzner.requests.filter((r) => r.method === method && r.path.startsWith(prefix));

describe('a signup on a Hetzner plan', () => {
  let tenantId: string;
  let serverId: number;
  let boxName: string;

  it('creates the server through the API and brings it to a deployed, healthy box over real SSH', async () => {
    ({ tenantId } = await env.signUp('hetzner'));
    await env.waitForTenant(tenantId, 'active', 180_000);

    // The control plane's login key went up once, then the server was created with it and the plan's placement.
    expect(calls('POST', '/v1/ssh_keys')).toHaveLength(1);
    const creates = calls('POST', '/v1/servers');
    expect(creates).toHaveLength(1);
    const created = creates[0]!.body as {
      name: string;
      server_type: string;
      location: string;
      image: string;
      ssh_keys: number[];
      labels: Record<string, string>;
      user_data: string;
    };
    expect(created).toMatchObject({
      server_type: 'cx32',
      location: 'fsn1',
      image: 'debian-12',
      ssh_keys: [[...hetzner.sshKeys.keys()][0]],
      labels: { 'paddock-tenant': tenantId, 'paddock-managed': 'true' },
    });
    // The create and start actions were polled to success before the box was dialled.
    expect(calls('GET', '/v1/actions/').filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(3);
    serverId = [...hetzner.servers.keys()][0] ?? 0;
    expect(hetzner.servers.size).toBe(1);
    boxName = created.name;

    const box = await env.prisma.box.findFirstOrThrow({ where: { tenantId } });
    const local = harness.get(boxName);
    if (!local) throw new Error(`no test box behind server ${boxName}`);
    expect(box).toMatchObject({
      provider: 'hetzner',
      providerId: String(serverId),
      address: local.host,
      port: 22,
      sshUser: 'root',
      status: 'ready',
      serverType: 'cx32',
      region: 'fsn1',
    });
    expect(box.address).toMatch(/^127\.77\.0\.\d+$/);
    // The host key of the user data was pinned before first contact, then replaced over that verified connection.
    const seeded = parse(created.user_data) as { ssh_keys: { ed25519_public: string } };
    const replaced = await env.prisma.auditLog.findFirstOrThrow({
      where: { targetId: box.id, action: 'box.host_key.replaced' },
    });
    const details = replaced.details as { previous: string; fingerprint: string };
    expect(details.previous).toBe(describePublicKey(seeded.ssh_keys.ed25519_public).fingerprint);
    expect(box.hostKeyFingerprint).toBe(details.fingerprint);
    expect(details.fingerprint).not.toBe(details.previous);
    // On the box: the current release is the promoted one, and provisioning's health check passed on it.
    const release = await env.prisma.release.findFirstOrThrow({ orderBy: { createdAt: 'desc' } });
    expect(readlinkSync(local.pathOnHost('/opt/paddock/current'))).toBe(`releases/${release.version}`);
    const workflow = await env.prisma.workflow.findFirstOrThrow({ where: { tenantId, kind: 'provision' } });
    expect(workflow.status).toBe('succeeded');
  }, 240_000);

  it('deletes the server through the API when the tenant is deleted', async () => {
    const started = await ops.app.inject({
      method: 'POST',
      url: '/v1/operator/workflows',
      headers: { ...ops.headers, 'idempotency-key': `delete-${tenantId}` },
      payload: { kind: 'delete', tenantId },
    });
    expect(started.statusCode).toBe(202);
    await env.waitForTenant(tenantId, 'deleted', 120_000);

    expect(calls('DELETE', `/v1/servers/${serverId}`)).toHaveLength(1);
    expect(hetzner.servers.has(serverId)).toBe(false);
    expect(harness.get(boxName)).toBeUndefined();
    expect(await env.prisma.box.findFirstOrThrow({ where: { tenantId } })).toMatchObject({
      status: 'destroyed',
      statusReason: 'tenant deleted',
    });
    expect(await env.prisma.sshKey.count({ where: { tenantId, revokedAt: null } })).toBe(0);
  }, 180_000);
});
