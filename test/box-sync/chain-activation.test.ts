import type { StagingResult } from '@paddock/contracts';
import { randomUUID } from 'node:crypto';
import {
  activateChainVersionAsOperator,
  finishStaging,
  pushTenantSecrets,
  queueTenantBoxSync,
  syncChainVersion,
} from '@paddock/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../apps/api/src/test-app';
import { type SignedUp, signUp, startTenantTestApp } from '../tenant/support';

// The version life cycle in Postgres alone (no box): what staging, people and the order of events do to it.
let t: TestApp;
let ws: SignedUp;

beforeAll(async () => {
  t = await startTenantTestApp();
  ws = await signUp(t.app, 'activation');
});
afterAll(() => t?.close());

const chain = (text: string) => `name: lifecycle\nagents:\n  a:\n    run: echo ${text}\n`;
const REFERENCE = [{ name: 'r', checks: [{ step: 'a', contains: 'x' }] }];
const result = (passed: boolean): StagingResult => ({
  passed,
  startedAt: new Date().toISOString(),
  finishedAt: new Date().toISOString(),
  error: null,
  references: [],
});
const api = (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
  t.app.inject({ method, url, headers: ws.headers, ...(payload ? { payload } : {}) });
const upload = async (text: string, referenceInputs: unknown[] = REFERENCE) => {
  const reply = await api('POST', '/v1/chains', { definition: chain(text), referenceInputs });
  expect(reply.statusCode).toBe(201);
  return reply.json() as { chain: { id: string }; version: { id: string; version: number } };
};
const synced = (id: string) => t.prisma.chainVersion.update({ where: { id }, data: { syncedAt: new Date() } });
const status = async (id: string) => (await t.prisma.chainVersion.findUniqueOrThrow({ where: { id } })).status;
const chainRow = (id: string) => t.prisma.chain.findUniqueOrThrow({ where: { id } });

describe('chain version life cycle', () => {
  let chainId: string;
  const ids: string[] = [];

  it('skips the sync of a tenant without a box and queues it again for the box later', async () => {
    const first = await upload('one');
    chainId = first.chain.id;
    ids.push(first.version.id);
    const deps = { prisma: t.prisma, vault: t.vault, ssh: t.ssh, queues: t.queues };
    const outcome = await syncChainVersion(
      deps,
      { tenantId: ws.tenantId, chainVersionId: first.version.id },
      { jobId: 'x', finalAttempt: true },
    );
    expect(outcome).toEqual({ skipped: 'the workspace has no box yet' });
    const uploadJob = await t.prisma.jobRecord.findFirstOrThrow({
      where: { tenantId: ws.tenantId, name: 'chain.sync' },
    });
    expect(uploadJob.jobId).toBe(`chain-sync-${first.version.id}-1`);
    // Still queued: the box sync reuses it rather than queueing the same work twice.
    const queued = await queueTenantBoxSync({ prisma: t.prisma, queues: t.queues }, ws.tenantId);
    expect(queued.chainSyncs).toEqual([uploadJob.jobId]);
    expect(queued.secretsPush).toMatch(new RegExp(`^secrets-push-${ws.tenantId}-\\d+$`));
    // Once that sync has finished (skipped), the next one takes a new job id BullMQ has not seen.
    await t.prisma.jobRecord.update({ where: { id: uploadJob.id }, data: { status: 'succeeded' } });
    const again = await queueTenantBoxSync({ prisma: t.prisma, queues: t.queues }, ws.tenantId);
    expect(again.chainSyncs).toEqual([`chain-sync-${first.version.id}-2`]);
    expect(await t.queues.fleet.getJob(`chain-sync-${first.version.id}-2`)).toBeDefined();
  });

  it('waits (retries) while the box is being provisioned, and skips on the last attempt', async () => {
    const other = await signUp(t.app, 'coming');
    await t.prisma.box.create({ data: { tenantId: other.tenantId, provider: 'local', status: 'deploying' } });
    const reply = await t.app.inject({
      method: 'POST',
      url: '/v1/chains',
      headers: other.headers,
      payload: { definition: chain('coming') },
    });
    const payload = { tenantId: other.tenantId, chainVersionId: reply.json().version.id as string };
    const deps = { prisma: t.prisma, vault: t.vault, ssh: t.ssh, queues: t.queues };
    await expect(syncChainVersion(deps, payload, { jobId: 'x', finalAttempt: false })).rejects.toThrow(
      /still being provisioned/,
    );
    expect(await syncChainVersion(deps, payload, { jobId: 'x', finalAttempt: true })).toEqual({
      skipped: 'the box is still being provisioned',
    });
    await expect(pushTenantSecrets(deps, { tenantId: other.tenantId }, { finalAttempt: false })).rejects.toThrow(
      /still being provisioned/,
    );
    expect((await t.prisma.chainVersion.findUniqueOrThrow({ where: { id: payload.chainVersionId } })).syncedAt).toBe(
      null,
    );
  });

  it('refuses to activate a version that is not on the box yet', async () => {
    const reply = await api('POST', `/v1/chains/${chainId}/activate`, { version: 1, reason: 'now' });
    expect(reply.statusCode).toBe(409);
    expect(reply.json().error.message).toContain('has not reached the box');
  });

  it('keeps a newer active version when an older one passes staging later', async () => {
    const second = await upload('two');
    ids.push(second.version.id);
    await synced(ids[0] as string);
    await synced(ids[1] as string);
    expect(await finishStaging({ prisma: t.prisma }, ids[1] as string, result(true))).toEqual({
      status: 'active',
      activated: true,
    });
    expect(await finishStaging({ prisma: t.prisma }, ids[0] as string, result(true))).toEqual({
      status: 'superseded',
      activated: false,
    });
    expect(await chainRow(chainId)).toMatchObject({ activeVersionId: ids[1], lastKnownGoodVersionId: null });
  });

  it('lets a person activate a version still staging; its late result is stored, the decision kept', async () => {
    const third = await upload('three');
    ids.push(third.version.id);
    await synced(third.version.id);
    const reply = await api('POST', `/v1/chains/${chainId}/activate`, { version: 3, reason: 'urgent fix' });
    expect(reply.statusCode).toBe(200);
    expect(reply.json()).toMatchObject({ previous: { id: ids[1], status: 'superseded' } });
    expect(await finishStaging({ prisma: t.prisma }, third.version.id, result(false))).toEqual({
      status: 'active',
      activated: false,
    });
    const row = await t.prisma.chainVersion.findUniqueOrThrow({ where: { id: third.version.id } });
    expect(row).toMatchObject({ status: 'active', overrideReason: 'urgent fix' });
    expect((row.stagingResult as { passed: boolean }).passed).toBe(false);
    expect((await chainRow(chainId)).lastKnownGoodVersionId).toBe(ids[1]);
  });

  it('never counts an overridden version as known-good', async () => {
    const fourth = await upload('four', []);
    await synced(fourth.version.id);
    await finishStaging({ prisma: t.prisma }, fourth.version.id, null);
    expect(await status(fourth.version.id)).toBe('active');
    expect(await status(ids[2] as string)).toBe('superseded');
    // Version 3 was active by override: the known-good one stays version 2.
    expect(await chainRow(chainId)).toMatchObject({
      activeVersionId: fourth.version.id,
      lastKnownGoodVersionId: ids[1],
    });
    const rollback = await api('POST', `/v1/chains/${chainId}/rollback`);
    expect(rollback.json()).toMatchObject({
      activeVersion: { version: 2 },
      previous: { version: 4, status: 'rejected' },
    });
  });

  it('lets an operator override a rejected version, audited as the operator', async () => {
    const fifth = await upload('five');
    await synced(fifth.version.id);
    expect((await finishStaging({ prisma: t.prisma }, fifth.version.id, result(false))).status).toBe('rejected');
    const operator = { userId: randomUUID(), email: 'ops@example.com' };
    const outcome = await activateChainVersionAsOperator({ prisma: t.prisma }, operator, {
      tenantId: ws.tenantId,
      chainId,
      version: fifth.version.version,
      reason: 'customer asked',
    });
    expect(outcome.activeVersion.id).toBe(fifth.version.id);
    expect(await t.prisma.chainVersion.findUniqueOrThrow({ where: { id: fifth.version.id } })).toMatchObject({
      status: 'active',
      overriddenByUserId: operator.userId,
      overrideReason: 'customer asked',
    });
    const audit = await t.prisma.auditLog.findFirstOrThrow({
      where: { action: 'chain_version.override', targetId: fifth.version.id },
    });
    expect(audit).toMatchObject({ actorType: 'user', actorId: operator.userId, actorLabel: 'ops@example.com' });
    // Another tenant's id with this chain: not found, nothing changed.
    await expect(
      activateChainVersionAsOperator({ prisma: t.prisma }, operator, {
        tenantId: randomUUID(),
        chainId,
        version: 1,
        reason: 'wrong tenant',
      }),
    ).rejects.toMatchObject({ code: 'not_found' });
  });

  it('refuses other reference inputs for content that is already a version', async () => {
    const reply = await api('POST', '/v1/chains', {
      definition: chain('four'),
      referenceInputs: REFERENCE,
    });
    expect(reply.statusCode).toBe(409);
    expect(reply.json().error.message).toContain('already version 4');
  });
});
