import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, loginAs, type TestApp } from '../../apps/api/src/test-app';
import { waitFor } from '../support/wait-for';
import { createTestFleet, type TestFleet } from '../fleet/support/test-boxes';
import { registerTestBox, type SignedUp, signUp, startTenantTestApp } from '../tenant/support';

// An operator's interactive shell on a tenant's box through the API (HTTP upgrade to a raw terminal stream, the
// control plane's key, node-ssh), audited with who, which box, when and how long; a tenant's key gets nothing.
let fleet: TestFleet;
let t: TestApp;
let tenant: SignedUp;
let boxId: string;
let operatorToken: string;
let port: number;

beforeAll(async () => {
  fleet = await createTestFleet(1);
  t = await startTenantTestApp();
  tenant = await signUp(t.app, 'shell');
  boxId = await registerTestBox(t, tenant.tenantId, fleet.boxes[0]!, fleet.loginKey);
  await createOperator(t.prisma, 'ops-shell@example.com', 'operator password shell');
  operatorToken = await loginAs(t.app, 'ops-shell@example.com', 'operator password shell');
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.server.address() as AddressInfo).port;
}, 120_000);

afterAll(async () => {
  await t?.close();
  await fleet?.destroy();
});

type Opened = { kind: 'shell'; socket: Duplex } | { kind: 'refused'; status: number; body: string };

function openShell(authorization: string, id = boxId): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      path: `/v1/operator/boxes/${id}/shell?cols=120&rows=40`,
      headers: { connection: 'Upgrade', upgrade: 'paddock-shell', authorization },
    });
    req.on('upgrade', (_res, socket) => resolve({ kind: 'shell', socket }));
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ kind: 'refused', status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const shellAudits = () =>
  t.prisma.auditLog.findMany({
    where: { targetId: boxId, action: { startsWith: 'box.shell.' } },
    orderBy: { id: 'asc' },
  });

describe('the operator shell', () => {
  it('refuses a tenant key and an unknown box without opening anything', async () => {
    const byTenant = await openShell(tenant.headers.authorization);
    expect(byTenant).toMatchObject({ kind: 'refused', status: 401 });
    expect(JSON.parse((byTenant as { body: string }).body).error.code).toBe('unauthenticated');
    const noBox = await openShell(`Bearer ${operatorToken}`, '00000000-0000-4000-8000-000000000000');
    expect(noBox).toMatchObject({ kind: 'refused', status: 404 });
    expect(await shellAudits()).toEqual([]);
  });

  it('gives an operator a shell on the box, and audits who, which box, when and for how long', async () => {
    const opened = await openShell(`Bearer ${operatorToken}`);
    if (opened.kind !== 'shell') throw new Error(`refused: ${opened.status} ${opened.body}`);
    let output = '';
    opened.socket.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const ended = new Promise<void>((resolve) => opened.socket.once('close', () => resolve()));
    opened.socket.write('echo "shell-$((6*7)) $(id -un) $(stty size)"; exit\n');
    await ended;
    expect(output).toContain('shell-42 root 40 120');

    const audits = await waitFor('the closing audit row', async () => {
      const rows = await shellAudits();
      return rows.length === 2 ? rows : undefined;
    });
    expect(audits.map((a) => a.action)).toEqual(['box.shell.opened', 'box.shell.closed']);
    for (const audit of audits) {
      expect(audit).toMatchObject({
        actorType: 'user',
        actorLabel: 'ops-shell@example.com',
        tenantId: tenant.tenantId,
      });
    }
    const closed = audits[1]!.details as { durationMs: number; bytesIn: number; bytesOut: number; outcome: string };
    expect(closed.outcome).toBe('closed');
    expect(closed.durationMs).toBeGreaterThanOrEqual(0);
    expect(closed.bytesIn).toBeGreaterThan(0);
    expect(closed.bytesOut).toBeGreaterThan(0);
  });
});
