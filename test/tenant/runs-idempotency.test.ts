import { randomUUID } from 'node:crypto';
import { localGatewayConnector } from '@paddock/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../apps/api/src/test-app';
import { createLocalRuntime, type LocalRuntime } from '../collect/support/local-runtime';
import { LossyLink } from './runs-support';
import { limitTenant, type SignedUp, signUp, startTenantTestApp } from './support';

// `Idempotency-Key` on POST /v1/runs against a real runtime (local `chainctl serve` processes, no daemon: runs stay
// queued, which is all a start needs) and real Postgres.
let t: TestApp;
let runtime: LocalRuntime;
let tenant: SignedUp;
let other: SignedUp;
const link = new LossyLink(async (transport) => transport.close());

const CHAIN = 'name: greet\nagents:\n  say:\n    run: echo hi\n';

beforeAll(async () => {
  runtime = createLocalRuntime('api-runs-idem-');
  t = await startTenantTestApp({ boxConnector: () => localGatewayConnector(() => link.wrap(runtime.serve)) });
  tenant = await signUp(t.app, 'idem');
  other = await signUp(t.app, 'idem-other');
  for (const who of [tenant, other]) {
    // Runs stay queued here (no daemon): a plan without a concurrency limit, so only idempotency decides.
    await limitTenant(t.prisma, who.tenantId, {});
    await t.prisma.box.create({ data: { tenantId: who.tenantId, provider: 'local', status: 'ready' } });
    const chain = await t.app.inject({
      method: 'POST',
      url: '/v1/chains',
      headers: who.headers,
      payload: { definition: CHAIN },
    });
    expect(chain.statusCode).toBe(201);
  }
}, 60_000);

afterAll(async () => {
  await t?.close();
  await runtime?.cleanup();
});

const start = (who: SignedUp, key: string | undefined, payload: Record<string, unknown>) =>
  t.app.inject({
    method: 'POST',
    url: '/v1/runs',
    headers: { ...who.headers, ...(key === undefined ? {} : { 'idempotency-key': key }) },
    payload,
  });

const runsOf = (who: SignedUp) => t.prisma.run.count({ where: { tenantId: who.tenantId } });
const runsOnBox = async () => (await t.boxes.request('any', { op: 'list' })).runs.map((r) => r.run_id);

describe('POST /v1/runs with an Idempotency-Key', () => {
  it('answers a repeated start with the first run, and a changed body with a 409', async () => {
    const key = randomUUID();
    const before = await runsOf(tenant);
    const first = await start(tenant, key, { chain: 'greet', inputs: { a: '1', b: '2' } });
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    // The same start written differently (input order) is the same request.
    const again = await start(tenant, key, { inputs: { b: '2', a: '1' }, chain: 'greet' });
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(await runsOf(tenant)).toBe(before + 1);
    expect((await runsOnBox()).filter((id) => id === first.json().id)).toHaveLength(1);

    const changed = await start(tenant, key, { chain: 'greet', inputs: { a: '1', b: '3' } });
    expect(changed.statusCode).toBe(409);
    expect(changed.json().error.code).toBe('idempotency_conflict');
    expect(await runsOf(tenant)).toBe(before + 1);

    // Without a key every request is a new run, as before.
    const plain = await start(tenant, undefined, { chain: 'greet' });
    const plainAgain = await start(tenant, undefined, { chain: 'greet' });
    expect(plain.json().id).not.toBe(plainAgain.json().id);
  });

  it('keeps the keys of two workspaces apart', async () => {
    const key = `shared-key-${randomUUID()}`;
    const mine = await start(tenant, key, { chain: 'greet' });
    const theirs = await start(other, key, { chain: 'greet', inputs: { x: 'y' } });
    expect([mine.statusCode, theirs.statusCode]).toEqual([201, 201]);
    expect(theirs.json().id).not.toBe(mine.json().id);
    const run = await t.prisma.run.findUniqueOrThrow({ where: { id: theirs.json().id } });
    expect(run.tenantId).toBe(other.tenantId);
    const records = await t.prisma.idempotencyRecord.findMany({ where: { key } });
    expect(records.map((r) => r.tenantId).sort()).toEqual([tenant.tenantId, other.tenantId].sort());
  });

  it('starts exactly one run for concurrent identical requests', async () => {
    const key = randomUUID();
    const before = await runsOf(tenant);
    const replies = await Promise.all(
      Array.from({ length: 12 }, () => start(tenant, key, { chain: 'greet', inputs: { n: 'concurrent' } })),
    );
    expect(replies.map((r) => r.statusCode)).toEqual(Array(12).fill(201));
    const ids = new Set(replies.map((r) => r.json().id));
    expect(ids.size).toBe(1);
    expect(replies.filter((r) => r.headers['idempotent-replayed'] !== 'true')).toHaveLength(1);
    expect(await runsOf(tenant)).toBe(before + 1);
    const [id] = [...ids];
    expect((await runsOnBox()).filter((r) => r === id)).toHaveLength(1);
  });

  it('frees the key when nothing started, so the retry decides afresh', async () => {
    const key = randomUUID();
    const missing = await start(tenant, key, { chain: 'later' });
    expect(missing.statusCode).toBe(404);
    expect(await t.prisma.idempotencyRecord.count({ where: { key } })).toBe(0);
    const chain = await t.app.inject({
      method: 'POST',
      url: '/v1/chains',
      headers: tenant.headers,
      payload: { definition: 'name: later\nagents:\n  go:\n    run: echo go\n' },
    });
    expect(chain.statusCode).toBe(201);
    const retried = await start(tenant, key, { chain: 'later' });
    expect(retried.statusCode).toBe(201);
    expect(retried.json().chain.name).toBe('later');
  });

  it('finishes a start whose answer was lost on the retry, without a second run', async () => {
    const key = randomUUID();
    const before = await runsOf(tenant);
    // The box starts the run but its answer is lost with the channel: the client sees a 503.
    link.arm({ op: 'run', mode: 'lose_answer' });
    const lost = await start(tenant, key, { chain: 'greet', inputs: { n: 'lost' } });
    expect(link.hits).toBe(1);
    expect(lost.statusCode).toBe(503);
    const pending = await t.prisma.run.findFirstOrThrow({
      where: { tenantId: tenant.tenantId },
      orderBy: { createdAt: 'desc' },
    });
    expect(pending.error).toContain('did not confirm');
    expect(await runsOnBox()).toContain(pending.id);

    // The retry takes the same run id; the box already has it, so this is the answer, and the row is confirmed.
    const retried = await start(tenant, key, { chain: 'greet', inputs: { n: 'lost' } });
    expect(retried.statusCode).toBe(201);
    expect(retried.json().id).toBe(pending.id);
    expect(retried.json().error).toBeNull();
    expect(await runsOf(tenant)).toBe(before + 1);
    expect((await runsOnBox()).filter((id) => id === pending.id)).toHaveLength(1);
    const replay = await start(tenant, key, { chain: 'greet', inputs: { n: 'lost' } });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json().id).toBe(pending.id);
  });

  it('lets a key start a new run once its 24 hours are over', async () => {
    const key = randomUUID();
    const first = await start(tenant, key, { chain: 'greet' });
    const record = await t.prisma.idempotencyRecord.findFirstOrThrow({ where: { key, tenantId: tenant.tenantId } });
    expect(record.expiresAt.getTime() - record.createdAt.getTime()).toBe(24 * 3600 * 1000);
    await t.prisma.idempotencyRecord.update({
      where: { id: record.id },
      data: { expiresAt: new Date(Date.now() - 1) },
    });
    const later = await start(tenant, key, { chain: 'greet', inputs: { day: 'two' } });
    expect(later.statusCode).toBe(201);
    expect(later.json().id).not.toBe(first.json().id);
  });

  it('documents the header in the OpenAPI description', async () => {
    const doc = (await t.app.inject({ url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, { parameters?: { in: string; name: string; required?: boolean }[] }>>;
    };
    const header = doc.paths['/v1/runs']?.post?.parameters?.find((p) => p.in === 'header');
    expect(header).toMatchObject({ name: 'idempotency-key', required: false });
  });

  it('refuses a malformed key with a 400 and writes nothing', async () => {
    const before = await runsOf(tenant);
    for (const key of ['short', 'has space in it', 'x'.repeat(256)]) {
      const reply = await start(tenant, key, { chain: 'greet' });
      expect(reply.statusCode).toBe(400);
      expect(reply.json().error.details[0].path).toBe('headers.idempotency-key');
    }
    expect(await runsOf(tenant)).toBe(before);
  });
});
