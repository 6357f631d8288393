import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, loginAs, startTestApp, type TestApp } from '../../test-app';

describe('operator sessions and jobs', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp();
    await createOperator(t.prisma, 'ops@example.com', 'correct horse battery staple');
    token = await loginAs(t.app, 'ops@example.com', 'correct horse battery staple');
  });
  afterAll(() => t.close());

  const auth = () => ({ authorization: `Bearer ${token}` });

  it('refuses a wrong password and an unknown email with the same answer', async () => {
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/v1/operator/sessions',
      payload: { email: 'ops@example.com', password: 'nope' },
    });
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/v1/operator/sessions',
      payload: { email: 'nobody@example.com', password: 'nope' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().error.message).toBe(unknown.json().error.message);
    expect(wrong.json().error.code).toBe('unauthenticated');
  });

  it('stores only a hash of the session token and audits the login', async () => {
    const sessions = await t.prisma.session.findMany();
    expect(sessions.length).toBeGreaterThan(0);
    for (const session of sessions) expect(session.tokenHash).not.toContain(token);
    const audit = await t.prisma.auditLog.findMany({ where: { action: 'operator.login' } });
    expect(audit.length).toBeGreaterThan(0);
    expect(JSON.stringify(audit, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(token);
  });

  it('needs a valid bearer token for operator routes', async () => {
    expect((await t.app.inject({ url: '/v1/operator/jobs' })).statusCode).toBe(401);
    const forged = await t.app.inject({
      url: '/v1/operator/jobs',
      headers: { authorization: `Bearer ${'x'.repeat(43)}` },
    });
    expect(forged.statusCode).toBe(401);
    expect((await t.app.inject({ url: '/v1/operator/jobs', headers: auth() })).statusCode).toBe(200);
  });

  it('enqueues a probe: a queued job record in Postgres and a job in Redis', async () => {
    const reply = await t.app.inject({
      method: 'POST',
      url: '/v1/operator/jobs/probe',
      headers: auth(),
      payload: { label: 'hello', durationMs: 10 },
    });
    expect(reply.statusCode).toBe(202);
    const { id, jobId } = reply.json() as { id: string; jobId: string };
    const record = await t.app.inject({ url: `/v1/operator/jobs/${id}`, headers: auth() });
    expect(record.statusCode).toBe(200);
    expect(record.json()).toMatchObject({ id, jobId, name: 'diagnostics.probe', status: 'queued', attempts: 0 });
    const job = await t.queues.control.getJob(jobId);
    expect(job?.data).toEqual({ label: 'hello', durationMs: 10 });
    const listed = await t.app.inject({ url: '/v1/operator/jobs?status=queued&limit=5', headers: auth() });
    expect((listed.json() as { jobs: Array<{ id: string }> }).jobs.map((j) => j.id)).toContain(id);
  });

  it('answers 404 for an unknown job id and 400 for a malformed one', async () => {
    const missing = await t.app.inject({ url: `/v1/operator/jobs/${crypto.randomUUID()}`, headers: auth() });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('not_found');
    const malformed = await t.app.inject({ url: '/v1/operator/jobs/not-a-uuid', headers: auth() });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.details[0].path).toBe('params.id');
  });

  it('revokes the session on logout', async () => {
    const other = await loginAs(t.app, 'ops@example.com', 'correct horse battery staple');
    const out = await t.app.inject({
      method: 'DELETE',
      url: '/v1/operator/sessions/current',
      headers: { authorization: `Bearer ${other}` },
    });
    expect(out.statusCode).toBe(204);
    const after = await t.app.inject({ url: '/v1/operator/jobs', headers: { authorization: `Bearer ${other}` } });
    expect(after.statusCode).toBe(401);
  });
});
