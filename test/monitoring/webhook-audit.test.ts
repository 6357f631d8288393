import { deliverWebhook } from '@paddock/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, loginAs, type TestApp } from '../../apps/api/src/test-app';
import { type SignedUp, signUp, startTenantTestApp } from '../tenant/support';
import { startReceiver } from './receiver';

let t: TestApp;
let ops: { authorization: string };
let a: SignedUp;
let b: SignedUp;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  t = await startTenantTestApp();
  await createOperator(t.prisma, 'hook-audit-ops@example.com', 'correct horse battery staple');
  ops = {
    authorization: `Bearer ${await loginAs(t.app, 'hook-audit-ops@example.com', 'correct horse battery staple')}`,
  };
  a = await signUp(t.app, 'hook-audit-a');
  b = await signUp(t.app, 'hook-audit-b');
  receiver = await startReceiver();
}, 120_000);

afterAll(async () => {
  await receiver?.close();
  await t?.close();
});

const auditOf = (endpointId: string) =>
  t.prisma.auditLog.findMany({
    where: { targetType: 'webhook_endpoint', targetId: endpointId },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });

describe('webhook endpoint changes are audited', () => {
  it("a workspace's create, update, secret rotation and delete each write one audit row, never the secret", async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: { ...a.headers, 'user-agent': 'hook-audit-test' },
      payload: { url: receiver.url('/audited'), description: 'pager' },
    });
    expect(created.statusCode).toBe(201);
    const { endpoint, secret } = created.json() as { endpoint: { id: string }; secret: string };
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${endpoint.id}`,
      headers: a.headers,
      payload: { minSeverity: 'critical', enabled: false },
    });
    expect(patched.statusCode).toBe(200);
    const rotated = await t.app.inject({
      method: 'POST',
      url: `/v1/webhooks/${endpoint.id}/rotate-secret`,
      headers: a.headers,
    });
    expect(rotated.statusCode).toBe(200);
    const fresh = (rotated.json() as { secret: string }).secret;
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(secret);
    const deleted = await t.app.inject({ method: 'DELETE', url: `/v1/webhooks/${endpoint.id}`, headers: a.headers });
    expect(deleted.statusCode).toBe(204);

    const rows = await auditOf(endpoint.id);
    expect(rows.map((r) => r.action)).toEqual([
      'webhook.create',
      'webhook.update',
      'webhook.rotate_secret',
      'webhook.delete',
    ]);
    for (const row of rows) {
      expect(row).toMatchObject({ tenantId: a.tenantId, actorType: 'api_key' });
      expect(row.actorLabel).toBe(a.apiKey.slice(0, row.actorLabel.length));
      expect(row.requestId).not.toBeNull();
      // Neither secret, nor its ciphertext, is in any row.
      const text = JSON.stringify(row, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
      expect(text).not.toContain(secret);
      expect(text).not.toContain(fresh);
      expect(text).not.toContain('secretEncrypted');
    }
    expect(rows[0]?.userAgent).toBe('hook-audit-test');
    expect(rows[0]?.before).toBeNull();
    expect(rows[0]?.after).toMatchObject({ id: endpoint.id, description: 'pager', minSeverity: 'warning' });
    expect(rows[1]?.before).toMatchObject({ minSeverity: 'warning', enabled: true });
    expect(rows[1]?.after).toMatchObject({ minSeverity: 'critical', enabled: false });
    expect(rows[3]?.before).toMatchObject({ id: endpoint.id, minSeverity: 'critical' });
    expect(rows[3]?.after).toBeNull();
  });

  it('a rotated secret signs the next attempt; the old secret no longer verifies', async () => {
    const { endpoint, secret } = (
      await t.app.inject({
        method: 'POST',
        url: '/v1/webhooks',
        headers: a.headers,
        payload: { url: receiver.url('/rot') },
      })
    ).json() as { endpoint: { id: string }; secret: string };
    const rotated = (
      await t.app.inject({ method: 'POST', url: `/v1/webhooks/${endpoint.id}/rotate-secret`, headers: a.headers })
    ).json() as { secret: string };
    receiver.trust('/rot', secret);
    const deps = { prisma: t.prisma, vault: t.vault, policy: { allowLoopback: true } };
    const first = await t.prisma.webhookDelivery.create({
      data: { endpointId: endpoint.id, tenantId: a.tenantId, event: 'alert.opened', payload: { n: 1 } },
    });
    await expect(deliverWebhook(deps, { deliveryId: first.id }, { attempt: 1, finalAttempt: false })).rejects.toThrow(
      /401/,
    );
    expect(receiver.received.filter((r) => r.path === '/rot').map((r) => r.verdict)).toEqual(['mismatch']);
    receiver.trust('/rot', rotated.secret);
    await expect(
      deliverWebhook(deps, { deliveryId: first.id }, { attempt: 2, finalAttempt: false }),
    ).resolves.toMatchObject({ status: 'delivered' });
  });

  it("another workspace's changes are 404s that change and log nothing; operators' endpoints are audited without a tenant", async () => {
    const mine = (
      await t.app.inject({
        method: 'POST',
        url: '/v1/webhooks',
        headers: a.headers,
        payload: { url: receiver.url('/x') },
      })
    ).json() as { endpoint: { id: string } };
    const before = await t.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: mine.endpoint.id } });
    for (const attempt of [
      { method: 'PATCH' as const, url: `/v1/webhooks/${mine.endpoint.id}`, payload: { description: 'taken' } },
      { method: 'POST' as const, url: `/v1/webhooks/${mine.endpoint.id}/rotate-secret` },
      { method: 'DELETE' as const, url: `/v1/webhooks/${mine.endpoint.id}` },
    ]) {
      const reply = await t.app.inject({ ...attempt, headers: b.headers });
      expect(reply.statusCode, attempt.url).toBe(404);
      expect(reply.json().error.code).toBe('not_found');
    }
    expect(await t.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: mine.endpoint.id } })).toEqual(before);
    expect((await auditOf(mine.endpoint.id)).map((r) => r.action)).toEqual(['webhook.create']);
    expect(await t.prisma.auditLog.count({ where: { tenantId: b.tenantId, action: { startsWith: 'webhook.' } } })).toBe(
      0,
    );

    const opsHook = (
      await t.app.inject({
        method: 'POST',
        url: '/v1/operator/webhooks',
        headers: ops,
        payload: { url: receiver.url('/ops') },
      })
    ).json() as { endpoint: { id: string } };
    const rotated = await t.app.inject({
      method: 'POST',
      url: `/v1/operator/webhooks/${opsHook.endpoint.id}/rotate-secret`,
      headers: ops,
    });
    expect(rotated.statusCode).toBe(200);
    // A tenant cannot reach the operators' endpoint.
    const foreign = await t.app.inject({
      method: 'DELETE',
      url: `/v1/webhooks/${opsHook.endpoint.id}`,
      headers: a.headers,
    });
    expect(foreign.statusCode).toBe(404);
    const rows = await auditOf(opsHook.endpoint.id);
    expect(rows.map((r) => [r.action, r.tenantId, r.actorType, r.actorLabel])).toEqual([
      ['webhook.create', null, 'user', 'hook-audit-ops@example.com'],
      ['webhook.rotate_secret', null, 'user', 'hook-audit-ops@example.com'],
    ]);
  });
});
