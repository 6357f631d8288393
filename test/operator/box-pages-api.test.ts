import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, loginAs, startTestApp, type TestApp } from '../../apps/api/src/test-app';

// The API behind the console's box pages: sorted, offset pages with their total; one box with its deploys; the
// rollback and re-bootstrap requests refusing what they cannot do before anything is written or enqueued.
const PASSWORD = 'correct horse battery staple';
let t: TestApp;
let ops: { authorization: string };
const ids: string[] = [];

beforeAll(async () => {
  t = await startTestApp();
  await createOperator(t.prisma, 'box-pages@example.com', PASSWORD);
  ops = { authorization: `Bearer ${await loginAs(t.app, 'box-pages@example.com', PASSWORD)}` };
  const release = await t.prisma.release.create({
    data: {
      version: 'box-pages-1',
      manifestHash: 'x'.repeat(64),
      manifest: {},
      runtimeVersion: '1',
      sizeBytes: 1n,
      fileCount: 1,
    },
  });
  // Five boxes: names out of creation order, two without a release, one seen long ago.
  for (const [i, name] of ['delta', 'alpha', 'echo', 'charlie', 'bravo'].entries()) {
    const box = await t.prisma.box.create({
      data: {
        name: `bp-${name}`,
        provider: 'local',
        status: i === 4 ? 'unreachable' : 'ready',
        address: `127.77.9.${i + 1}`,
        hostKeyFingerprint: `SHA256:${String(i).repeat(43)}`,
        ...(i < 3 ? { currentReleaseId: release.id, runtimeVersion: '1' } : {}),
        createdAt: new Date(Date.UTC(2026, 0, 1 + i)),
      },
    });
    ids.push(box.id);
  }
  await t.prisma.deploy.create({
    data: { boxId: ids[0] as string, releaseId: release.id, status: 'succeeded', logTail: '@@step upload succeeded\n' },
  });
});
afterAll(() => t?.close());

const get = (url: string) => t.app.inject({ url, headers: ops });
const post = (url: string, payload: unknown) =>
  t.app.inject({ method: 'POST', url, headers: ops, payload: payload as object });

describe('box pages over the operator API', () => {
  it('sorts by the asked column and pages by offset with the total', async () => {
    const first = (await get('/v1/operator/boxes?q=bp-&sort=name&order=asc&limit=2')).json();
    expect(first.boxes.map((b: { name: string }) => b.name)).toEqual(['bp-alpha', 'bp-bravo']);
    expect(first).toMatchObject({ total: 5, nextOffset: 2 });
    expect(first.boxes[0].hostKeyFingerprint).toBe(`SHA256:${'1'.repeat(43)}`);
    const last = (await get('/v1/operator/boxes?q=bp-&sort=name&order=asc&limit=2&offset=4')).json();
    expect(last.boxes.map((b: { name: string }) => b.name)).toEqual(['bp-echo']);
    expect(last).toMatchObject({ total: 5, nextOffset: null });
    const byStatus = (await get('/v1/operator/boxes?q=bp-&status=unreachable')).json();
    expect(byStatus.boxes.map((b: { name: string }) => b.name)).toEqual(['bp-bravo']);
    const bad = await get('/v1/operator/boxes?sort=secret&offset=-1');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('validation_failed');
  });

  it('answers one box with its deploys and log tails, and 404 for an unknown one', async () => {
    const box = (await get(`/v1/operator/boxes/${ids[0]}`)).json();
    expect(box).toMatchObject({ name: 'bp-delta', release: 'box-pages-1', hostKeyPendingFingerprint: null });
    expect(box.deploys).toEqual([
      expect.objectContaining({
        kind: 'deploy',
        status: 'succeeded',
        release: 'box-pages-1',
        logTail: '@@step upload succeeded\n',
      }),
    ]);
    const unknown = await get('/v1/operator/boxes/00000000-0000-4000-8000-000000000000');
    expect(unknown.statusCode).toBe(404);
  });

  it('refuses a rollback with nothing to go back to, and re-bootstrap of an unknown box, writing nothing', async () => {
    const before = {
      deploys: await t.prisma.deploy.count(),
      audit: await t.prisma.auditLog.count(),
      jobs: await t.prisma.jobRecord.count(),
    };
    // Its one deploy has no previous release: there is nothing kept to roll back to.
    const none = await post(`/v1/operator/boxes/${ids[0]}/rollback`, { reason: 'try it' });
    expect(none.statusCode).toBe(409);
    expect(none.json().error.message).toContain('no earlier release');
    // Without a release at all.
    expect((await post(`/v1/operator/boxes/${ids[3]}/rollback`, { reason: 'try it' })).statusCode).toBe(409);
    const unknown = await post('/v1/operator/boxes/00000000-0000-4000-8000-000000000000/bootstrap', {
      reason: 'try it',
    });
    expect(unknown.statusCode).toBe(404);
    const noReason = await post(`/v1/operator/boxes/${ids[1]}/bootstrap`, { reason: ' ' });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().error.code).toBe('validation_failed');
    expect({
      deploys: await t.prisma.deploy.count(),
      audit: await t.prisma.auditLog.count(),
      jobs: await t.prisma.jobRecord.count(),
    }).toEqual(before);
  });
});
