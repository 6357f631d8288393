import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { sh } from '@paddock/fleet';
import { activeChainOnBox, loadBoxTargetWithPrisma, SECRETS_PUSH_WINDOW_MS, syncChainVersion } from '@paddock/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BoxSyncEnv, startBoxSyncEnv } from './support';
import { waitFor } from '../support/wait-for';

// Chain versions and secrets reaching a real test box (real runtime release, real sshd) through real jobs.
let env: BoxSyncEnv;
let stopWorker: () => Promise<void>;

beforeAll(async () => {
  env = await startBoxSyncEnv('deploy');
  stopWorker = env.startWorker();
}, 240_000);

afterAll(async () => {
  await stopWorker?.();
  await env?.close();
});

const ROOT = '/var/lib/paddock';
const GREETER = `name: greeter
agents:
  greet:
    run: echo "$(cat "$CHAIN_PROMPT_FILE") $(cat)"
    prompt: prompts/greet.md
    input: { run_input: who }
`;
const PASSING = {
  name: 'herons',
  inputs: { who: 'herons' },
  checks: [
    { step: 'greet', contains: 'Hello herons' },
    { step: 'greet', notContains: 'Goodbye' },
    { step: 'greet', matches: '^Hel+o [a-z]+$' },
    { step: 'greet', command: 'grep -q herons && test -s "$CHAIN_OUTPUT"' },
  ],
};

const api = (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
  env.t.app.inject({ method, url, headers: env.tenant.headers, ...(payload ? { payload } : {}) });
const upload = (prompt: string, referenceInputs: unknown[] = [PASSING], extra: Record<string, unknown> = {}) =>
  api('POST', '/v1/chains', { definition: GREETER, files: { 'prompts/greet.md': prompt }, referenceInputs, ...extra });
const version = (id: string) => env.t.prisma.chainVersion.findUniqueOrThrow({ where: { id } });
const settled = (id: string) =>
  waitFor(`version ${id} to leave staging`, async () => {
    const row = await version(id);
    return row.status === 'staging' ? undefined : row;
  });
const onBox = (path: string) => env.box.pathOnHost(`${ROOT}/${path}`);
/** A run's status as the box's runtime reports it (one `status` request on a serve process of its own). */
const boxStatus = async (runId: string) => {
  const connection = await env.t.ssh.connect(
    await loadBoxTargetWithPrisma({ prisma: env.t.prisma, vault: env.t.vault }, env.boxId),
  );
  const request = `${JSON.stringify({ v: 1, id: 1, op: 'status', run_id: runId })}\n`;
  const out = await connection.exec(sh`/opt/paddock/bin/paddock-service serve`, { stdin: request });
  const line = out.stdout.split('\n').find((l) => l.includes('"response"'));
  if (!line) throw new Error(`no answer from the box: ${out.stdout} ${out.stderr}`);
  return JSON.parse(line).result;
};

describe('chain versions deployed to the box', () => {
  let chainId: string;
  let v1: { id: string; contentHash: string };

  it('syncs an upload byte-identical under chains/<name>/<hash>/, stages it and makes it active', async () => {
    const reply = await upload('Hello');
    expect(reply.statusCode).toBe(201);
    chainId = reply.json().chain.id;
    v1 = reply.json().version;
    const row = await settled(v1.id);
    expect(row.status).toBe('active');
    expect(row.syncedAt).not.toBeNull();
    expect(row.activatedAt).not.toBeNull();
    const dir = `chains/greeter/${v1.contentHash}`;
    expect(readFileSync(onBox(`${dir}/chain.yaml`), 'utf8')).toBe(GREETER);
    expect(readFileSync(onBox(`${dir}/prompts/greet.md`), 'utf8')).toBe('Hello');

    const staging = (await api('GET', `/v1/chains/${chainId}/versions/1/staging`)).json();
    expect(staging).toMatchObject({ status: 'active', active: true, lastKnownGood: false, override: null });
    expect(staging.result.passed).toBe(true);
    expect(staging.result.references).toHaveLength(1);
    expect(staging.result.references[0]).toMatchObject({ name: 'herons', runStatus: 'succeeded', passed: true });
    expect(staging.result.references[0].checks.map((c: { passed: boolean }) => c.passed)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    // The staging run is an ordinary run on the box, from the synced file.
    const runId = staging.result.references[0].runId as string;
    expect(readFileSync(onBox(`runs/${runId}/steps/greet/output`), 'utf8')).toBe('Hello herons\n');

    const active = await activeChainOnBox({ prisma: env.t.prisma }, env.tenant.tenantId, 'greeter');
    expect(active).toMatchObject({ versionId: v1.id, version: 1, file: `${dir}/chain.yaml` });
    expect(active.path).toBe(`${ROOT}/${dir}/chain.yaml`);
    const jobs = await env.t.prisma.jobRecord.findMany({
      where: { tenantId: env.tenant.tenantId, name: { in: ['chain.sync', 'chain.stage'] } },
      orderBy: { createdAt: 'asc' },
    });
    expect(jobs.map((j) => [j.name, j.status])).toEqual([
      ['chain.sync', 'succeeded'],
      ['chain.stage', 'succeeded'],
    ]);
  }, 90_000);

  it('rejects a version whose reference fails; the previous one stays active', async () => {
    const reply = await upload('Goodbye');
    expect(reply.statusCode).toBe(201);
    const v2 = reply.json().version;
    const row = await settled(v2.id);
    expect(row.status).toBe('rejected');
    expect(row.rejectedAt).not.toBeNull();
    const staging = (await api('GET', `/v1/chains/${chainId}/versions/2/staging`)).json();
    expect(staging.result.passed).toBe(false);
    const checks = staging.result.references[0].checks as Array<{ kind: string; passed: boolean; detail: string }>;
    expect(checks.map((c) => [c.kind, c.passed])).toEqual([
      ['contains', false],
      ['notContains', false],
      ['matches', false],
      ['command', true],
    ]);
    expect(checks[0]?.detail).toContain('does not contain "Hello herons"');
    const chain = await env.t.prisma.chain.findUniqueOrThrow({ where: { id: chainId } });
    expect(chain.activeVersionId).toBe(v1.id);
    expect((await version(v1.id)).status).toBe('active');
    expect((await activeChainOnBox({ prisma: env.t.prisma }, env.tenant.tenantId, 'greeter')).versionId).toBe(v1.id);
  }, 90_000);

  it('activates a rejected version by override (recorded), then rolls back to the last known-good one', async () => {
    expect((await api('POST', `/v1/chains/${chainId}/activate`, { version: 1, reason: 'again' })).statusCode).toBe(409);
    expect((await api('POST', `/v1/chains/${chainId}/activate`, { version: 9, reason: 'none' })).statusCode).toBe(404);
    expect((await api('POST', `/v1/chains/${chainId}/activate`, { version: 2 })).statusCode).toBe(400);

    const override = await api('POST', `/v1/chains/${chainId}/activate`, { version: 2, reason: 'goodbye is fine' });
    expect(override.statusCode).toBe(200);
    expect(override.json()).toMatchObject({
      activeVersion: { version: 2 },
      lastKnownGoodVersion: { id: v1.id, version: 1 },
      previous: { id: v1.id, status: 'superseded' },
    });
    const v2 = await env.t.prisma.chainVersion.findFirstOrThrow({ where: { chainId, version: 2 } });
    expect(v2).toMatchObject({
      status: 'active',
      overriddenByUserId: env.tenant.userId,
      overrideReason: 'goodbye is fine',
    });
    const audit = await env.t.prisma.auditLog.findFirstOrThrow({
      where: { tenantId: env.tenant.tenantId, action: 'chain_version.override' },
    });
    expect(audit).toMatchObject({ targetId: v2.id, actorType: 'api_key' });
    expect(audit.details).toMatchObject({ reason: 'goodbye is fine', fromStatus: 'rejected', version: 2 });
    expect((await api('GET', `/v1/chains/${chainId}/versions/2/staging`)).json().override).toEqual({
      byUserId: env.tenant.userId,
      reason: 'goodbye is fine',
    });

    const rollback = await api('POST', `/v1/chains/${chainId}/rollback`);
    expect(rollback.statusCode).toBe(200);
    expect(rollback.json()).toMatchObject({
      activeVersion: { id: v1.id, version: 1 },
      previous: { id: v2.id, status: 'rejected' },
      lastKnownGoodVersion: null,
    });
    expect((await activeChainOnBox({ prisma: env.t.prisma }, env.tenant.tenantId, 'greeter')).versionId).toBe(v1.id);
    expect(await env.t.prisma.auditLog.count({ where: { action: 'chain.rollback', targetId: chainId } })).toBe(1);
    // Nothing known-good is left behind the active version: a second rollback has nowhere to go.
    const again = await api('POST', `/v1/chains/${chainId}/rollback`);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('conflict');
  }, 60_000);

  it('makes a version without reference inputs active once synced; the one it replaces is the known-good', async () => {
    const reply = await upload('Hello there', []);
    const v3 = reply.json().version;
    expect((await settled(v3.id)).status).toBe('active');
    const chain = await env.t.prisma.chain.findUniqueOrThrow({ where: { id: chainId } });
    expect(chain).toMatchObject({ activeVersionId: v3.id, lastKnownGoodVersionId: v1.id });
    expect((await version(v1.id)).status).toBe('superseded');
    expect(await env.t.prisma.jobRecord.count({ where: { name: 'chain.stage', tenantId: env.tenant.tenantId } })).toBe(
      2,
    );
  }, 60_000);

  it('writes again idempotently and repairs a version edited on the box', async () => {
    const deps = { prisma: env.t.prisma, vault: env.t.vault, ssh: env.t.ssh, queues: env.t.queues };
    const payload = { tenantId: env.tenant.tenantId, chainVersionId: v1.id };
    const context = { jobId: 'manual-1', finalAttempt: false };
    expect(await syncChainVersion(deps, payload, context)).toMatchObject({ outcome: 'unchanged' });
    const prompt = onBox(`chains/greeter/${v1.contentHash}/prompts/greet.md`);
    writeFileSync(prompt, 'tampered');
    expect(await syncChainVersion(deps, payload, context)).toMatchObject({ outcome: 'replaced' });
    expect(readFileSync(prompt, 'utf8')).toBe('Hello');
    const connection = await env.t.ssh.connect(
      await loadBoxTargetWithPrisma({ prisma: env.t.prisma, vault: env.t.vault }, env.boxId),
    );
    const listing = await connection.exec(sh`ls -A ${`${ROOT}/chains/greeter`}`);
    // No temporary or replaced directories are left next to the versions.
    expect(listing.stdout.split('\n').filter((name) => name.startsWith('.'))).toEqual([]);
    const owner = await connection.exec(sh`stat -c %U ${`${ROOT}/chains/greeter/${v1.contentHash}/chain.yaml`}`);
    expect(owner.stdout.trim()).toBe('paddock');
  }, 60_000);

  it('writes hostile but valid file names literally and refuses the ones that cannot be written', async () => {
    const hostile = `prompts/it's a "quote" $(touch pwned) ;\`id\` & |.md`;
    const definition = `name: hostile name.v2\nagents:\n  a:\n    run: cat "$CHAIN_PROMPT_FILE"\n    prompt: ${JSON.stringify(hostile)}\n`;
    // Staged too: the runtime reads the prompt through the hostile name and the check sees it verbatim.
    const reply = await api('POST', '/v1/chains', {
      definition,
      files: { [hostile]: 'literal $(id)\n' },
      referenceInputs: [{ name: 'literal', checks: [{ step: 'a', contains: 'literal $(id)' }] }],
    });
    expect(reply.statusCode).toBe(201);
    const v = reply.json().version;
    expect((await settled(v.id)).status).toBe('active');
    expect(readFileSync(onBox(`chains/hostile name.v2/${v.contentHash}/${hostile}`), 'utf8')).toBe('literal $(id)\n');
    expect(existsSync(env.box.pathOnHost('/root/pwned'))).toBe(false);
    expect(existsSync(onBox(`chains/hostile name.v2/${v.contentHash}/pwned`))).toBe(false);
    expect((await activeChainOnBox({ prisma: env.t.prisma }, env.tenant.tenantId, 'hostile name.v2')).file).toBe(
      `chains/hostile name.v2/${v.contentHash}/chain.yaml`,
    );

    const refused: Array<[string, string]> = [
      ['../escape.md', 'body.files'],
      ['a\nb.md', 'control character'],
      ['chain.yaml', 'chain file itself'],
      ['dir\\x.md', 'backslash'],
    ];
    const before = await env.t.prisma.chainVersion.count();
    for (const [path, message] of refused) {
      const text = `name: refused\nagents:\n  a:\n    run: cat\n    prompt: ${JSON.stringify(path)}\n`;
      const bad = await api('POST', '/v1/chains', { definition: text, files: { [path]: 'x' } });
      expect({ path, status: bad.statusCode }).toEqual({ path, status: 400 });
      expect(bad.body).toContain(message);
    }
    expect(await env.t.prisma.chainVersion.count()).toBe(before);
  }, 60_000);

  it('refuses reference inputs that do not fit the chain, naming the field', async () => {
    const bad = await upload('Hello again', [{ name: 'x', inputs: {}, checks: [{ step: 'nope', contains: 'a' }] }]);
    expect(bad.statusCode).toBe(400);
    const paths = bad.json().error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(['body.referenceInputs.0.inputs.who', 'body.referenceInputs.0.checks.0.step']);
    const two = await upload('Hello again', [{ name: 'x', inputs: { who: 'a' }, checks: [{ step: 'greet' }] }]);
    expect(two.statusCode).toBe(400);
    expect(two.body).toContain('exactly one of');
  });
});

describe('staging runs that need a person or take too long', () => {
  const DECIDING = `name: deciding
agents:
  draft:
    run: echo "draft $(cat)"
    input: { run_input: topic }
  review:
    needs: [draft]
    decision: { prompt: Ship it?, show: draft }
  ship:
    needs: [review]
    when: { decision: review, option: approve }
    run: echo shipped
`;
  const stage = async (definition: string, referenceInputs: unknown[]) => {
    const reply = await api('POST', '/v1/chains', { definition, referenceInputs });
    expect(reply.statusCode).toBe(201);
    const row = await settled(reply.json().version.id);
    const staging = (await api('GET', `/v1/chains/${row.chainId}/versions/${row.version}/staging`)).json();
    return { row, result: staging.result };
  };

  it('answers decision steps from the reference, and fails a case that leaves one unanswered', async () => {
    const { row, result } = await stage(DECIDING, [
      {
        name: 'approve',
        inputs: { topic: 'owls' },
        decisions: { review: 'approve' },
        checks: [{ step: 'ship', contains: 'shipped' }],
      },
    ]);
    expect(result.references[0]).toMatchObject({ runStatus: 'succeeded', passed: true });
    expect(row.status).toBe('active');
    const onBoxStatus = await boxStatus(result.references[0].runId);
    expect(onBoxStatus.steps.find((s: { step: string }) => s.step === 'review').decision).toMatchObject({
      option: 'approve',
      by: 'staging',
    });

    const unanswered = await stage(DECIDING.replace('shipped', 'shipped!'), [
      { name: 'silent', inputs: { topic: 'owls' }, checks: [{ step: 'draft', contains: 'draft owls' }] },
    ]);
    expect(unanswered.row.status).toBe('rejected');
    expect(unanswered.result.references[0].error).toContain('waits for decision review');
  }, 90_000);

  it('cancels a staging run that outlives its timeout and rejects the version', async () => {
    const slow = 'name: slow\nagents:\n  wait:\n    run: sleep 30; echo late\n';
    const { row, result } = await stage(slow, [
      { name: 'quick', timeoutSeconds: 1, checks: [{ step: 'wait', contains: 'late' }] },
    ]);
    expect(row.status).toBe('rejected');
    expect(result.references[0].error).toContain('did not finish within 1 s');
    const status = await waitFor('the staging run to be cancelled', async () => {
      const run = await boxStatus(result.references[0].runId);
      return run.status === 'cancelled' ? run.status : undefined;
    });
    expect(status).toBe('cancelled');
  }, 90_000);
});

describe('secrets pushed to the box', () => {
  const put = (name: string, value: string) =>
    env.t.app.inject({ method: 'PUT', url: `/v1/secrets/${name}`, headers: env.tenant.headers, payload: { value } });
  const secretsFile = () => env.box.pathOnHost(`${ROOT}/secrets.env`);
  const fileHolds = (text: string) =>
    waitFor(`secrets.env to hold ${text}`, async () => {
      const content = existsSync(secretsFile()) ? readFileSync(secretsFile(), 'utf8') : '';
      return content === text ? content : undefined;
    });

  it('pushes a set secret, coalesces quick changes (the latest wins) and removes a deleted one', async () => {
    expect((await put('API_TOKEN', 'first-value')).statusCode).toBe(201);
    await fileHolds('API_TOKEN="first-value"\n');
    const connection = await env.t.ssh.connect(
      await loadBoxTargetWithPrisma({ prisma: env.t.prisma, vault: env.t.vault }, env.boxId),
    );
    expect((await connection.exec(sh`stat -c '%a %U' ${`${ROOT}/secrets.env`}`)).stdout.trim()).toBe('600 paddock');

    const before = await env.t.prisma.jobRecord.count({
      where: { name: 'secrets.push', tenantId: env.tenant.tenantId },
    });
    // Changes in one push window share one push: at most one push per window the five changes spanned (a loaded
    // machine may spread them over several windows; without coalescing there would be five whatever the timing).
    const firstAt = Date.now();
    for (let i = 1; i <= 5; i++) expect((await put('OTHER', `value-${i}`)).statusCode).toBe(i === 1 ? 201 : 200);
    const windows = Math.floor(Date.now() / SECRETS_PUSH_WINDOW_MS) - Math.floor(firstAt / SECRETS_PUSH_WINDOW_MS) + 1;
    await fileHolds('API_TOKEN="first-value"\nOTHER="value-5"\n');
    const pushes = await env.t.prisma.jobRecord.count({
      where: { name: 'secrets.push', tenantId: env.tenant.tenantId },
    });
    expect(pushes - before).toBeLessThanOrEqual(Math.min(windows, 5));

    const deleted = await env.t.app.inject({
      method: 'DELETE',
      url: '/v1/secrets/API_TOKEN',
      headers: env.tenant.headers,
    });
    expect(deleted.statusCode).toBe(204);
    await fileHolds('OTHER="value-5"\n');
    const rows = await env.t.prisma.tenantSecret.findMany({ where: { tenantId: env.tenant.tenantId } });
    expect(rows.map((r) => [r.name, r.pushedAt !== null])).toEqual([['OTHER', true]]);

    // Values never reach job records or the audit log: names only.
    await waitFor(
      'every push to finish',
      async () =>
        (await env.t.prisma.jobRecord.count({
          where: { name: 'secrets.push', tenantId: env.tenant.tenantId, status: { not: 'succeeded' } },
        })) === 0,
    );
    const jobs = await env.t.prisma.jobRecord.findMany({
      where: { name: 'secrets.push', tenantId: env.tenant.tenantId },
    });
    const audit = await env.t.prisma.auditLog.findMany({ where: { tenantId: env.tenant.tenantId } });
    const recorded = JSON.stringify([jobs, audit], (_k, v) => (typeof v === 'bigint' ? String(v) : v));
    expect(recorded).toContain('box.secrets.pushed');
    for (const value of ['first-value', 'value-1', 'value-5']) expect(recorded).not.toContain(value);
  }, 90_000);

  it('refuses a value the box file cannot carry, before storing it', async () => {
    const reply = await put('MULTI', 'line one\nline two');
    expect(reply.statusCode).toBe(400);
    expect(reply.body).not.toContain('line one');
    expect(await env.t.prisma.tenantSecret.count({ where: { tenantId: env.tenant.tenantId, name: 'MULTI' } })).toBe(0);
  });
});
