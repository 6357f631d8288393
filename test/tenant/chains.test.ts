import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseChainDefinition } from '@paddock/contracts';
import { loadChainFile } from '@paddock/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../apps/api/src/test-app';
import { limitTenant, type SignedUp, signUp, startTenantTestApp } from './support';

const DEFINITION = `name: review-flow
description: Drafts, reviews, ships
agents:
  draft:
    run: claude -p
    prompt: prompts/draft.md
  review:
    needs: [draft]
    decision:
      prompt: Ship it?
      show: draft
  ship:
    run: ./ship.sh
    needs: [review]
    prompt: ./prompts/ship.md
    when: { decision: review, option: approve }
`;
const DRAFT = 'Write a draft.\nKeep it short.\nEnd with a summary.\n';
const SHIP = 'Ship the draft.\n';

describe('chains', () => {
  let t: TestApp;
  let ws: SignedUp;

  beforeAll(async () => {
    t = await startTenantTestApp();
    ws = await signUp(t.app, 'chains');
  });
  afterAll(() => t.close());

  const upload = (payload: Record<string, unknown>, headers = ws.headers) =>
    t.app.inject({ method: 'POST', url: '/v1/chains', headers, payload });
  const files = (draft = DRAFT) => ({ 'prompts/draft.md': draft, 'prompts/ship.md': SHIP });

  it('stores a valid chain as version 1, hashed exactly as chainctl versions it', async () => {
    const reply = await upload({ definition: DEFINITION, files: files() });
    expect(reply.statusCode).toBe(201);
    const body = reply.json();
    expect(body).toMatchObject({
      created: true,
      chain: { name: 'review-flow' },
      version: {
        version: 1,
        status: 'staging',
        fileName: 'chain.yaml',
        files: ['./prompts/ship.md', 'prompts/draft.md'],
        syncedAt: null,
      },
    });
    // The same chain as a directory on disk, loaded by the runtime: the box will record this version for its runs.
    const dir = mkdtempSync(join(tmpdir(), 'paddock-chain-'));
    try {
      for (const [path, text] of Object.entries({ 'chain.yaml': DEFINITION, ...files() })) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      expect(`sha256:${body.version.contentHash}`).toBe(loadChainFile(join(dir, 'chain.yaml')).version);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const audit = await t.prisma.auditLog.findMany({
      where: { tenantId: ws.tenantId, action: 'chain_version.create' },
    });
    expect(audit).toHaveLength(1);
  });

  it('returns the existing version for the same content (200, nothing written)', async () => {
    const before = await t.prisma.chainVersion.count();
    const reply = await upload({ definition: DEFINITION, files: files() });
    expect(reply.statusCode).toBe(200);
    expect(reply.json()).toMatchObject({ created: false, version: { version: 1 } });
    expect(await t.prisma.chainVersion.count()).toBe(before);
  });

  it('numbers new content as the next version and diffs the prompts', async () => {
    const changed = 'Write a draft.\nKeep it very short.\nEnd with a summary.\n';
    const reply = await upload({ definition: DEFINITION, files: files(changed) });
    expect(reply.statusCode).toBe(201);
    const { chain, version } = reply.json();
    expect(version.version).toBe(2);

    const versions = await t.app.inject({ url: `/v1/chains/${chain.id}/versions`, headers: ws.headers });
    expect(versions.json().versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);

    const diff = await t.app.inject({ url: `/v1/chains/${chain.id}/versions/1/diff/2`, headers: ws.headers });
    expect(diff.statusCode).toBe(200);
    const byPath = Object.fromEntries(
      (diff.json().files as Array<{ path: string; change: string; diff: string | null }>).map((f) => [f.path, f]),
    );
    expect(byPath['chain.yaml']).toMatchObject({ change: 'unchanged', diff: null });
    expect(byPath['./prompts/ship.md']).toMatchObject({ change: 'unchanged', diff: null });
    expect(byPath['prompts/draft.md']).toEqual({
      path: 'prompts/draft.md',
      kind: 'file',
      change: 'modified',
      diff: [
        '--- a/prompts/draft.md',
        '+++ b/prompts/draft.md',
        '@@ -1,3 +1,3 @@',
        ' Write a draft.',
        '-Keep it short.',
        '+Keep it very short.',
        ' End with a summary.',
        '',
      ].join('\n'),
    });

    const detail = await t.app.inject({ url: `/v1/chains/${chain.id}/versions/2`, headers: ws.headers });
    expect(detail.json()).toMatchObject({ definition: DEFINITION, fileContents: { 'prompts/draft.md': changed } });
  });

  it('shows added and removed prompt files and definition changes in a diff', async () => {
    const smaller = `name: review-flow
agents:
  draft:
    run: claude -p
    prompt: prompts/other.md
`;
    const reply = await upload({ definition: smaller, files: { 'prompts/other.md': 'Other.\n' } });
    const { chain, version } = reply.json();
    const diff = await t.app.inject({
      url: `/v1/chains/${chain.id}/versions/2/diff/${version.version}`,
      headers: ws.headers,
    });
    const changes = Object.fromEntries(
      (diff.json().files as Array<{ path: string; change: string }>).map((f) => [f.path, f.change]),
    );
    expect(changes).toEqual({
      'chain.yaml': 'modified',
      './prompts/ship.md': 'removed',
      'prompts/draft.md': 'removed',
      'prompts/other.md': 'added',
    });
  });

  it('refuses an invalid chain with the located errors chainctl validate gives, writing nothing', async () => {
    const before = await t.prisma.chainVersion.count();
    const broken = `name: broken
agents:
  a:
    run: echo a
    needs: [ghost]
  b:
    runn: echo b
`;
    const reply = await upload({ definition: broken, fileName: 'broken.yaml' });
    expect(reply.statusCode).toBe(400);
    const error = reply.json().error;
    expect(error.code).toBe('validation_failed');
    const expected = parseChainDefinition(broken, 'broken.yaml');
    expect(expected.ok).toBe(false);
    if (expected.ok) return;
    expect(error.details).toEqual(expected.errors.map((e) => ({ ...e, path: 'body.definition' })));
    expect(error.message).toContain('broken.yaml:5:');
    expect(await t.prisma.chainVersion.count()).toBe(before);
  });

  it('refuses missing, unreferenced and duplicate files, naming each', async () => {
    const missing = await upload({ definition: DEFINITION, files: { 'prompts/draft.md': DRAFT } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.details).toEqual([
      expect.objectContaining({ field: 'file ./prompts/ship.md', path: 'body.files../prompts/ship.md' }),
    ]);
    const extra = await upload({ definition: DEFINITION, files: { ...files(), 'prompts/typo.md': 'x' } });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().error.details[0]).toMatchObject({
      field: 'file prompts/typo.md',
      message: expect.stringContaining('no step'),
    });
    const duplicate = await upload({ definition: DEFINITION, files: { ...files(), './prompts/draft.md': DRAFT } });
    expect(duplicate.statusCode).toBe(400);
    const escaping = await upload({ definition: DEFINITION, files: { ...files(), '../etc/passwd': 'x' } });
    expect(escaping.statusCode).toBe(400);
    expect(escaping.json().error.details[0].path).toMatch(/^body\.files/);
  });

  it('numbers concurrent uploads of one chain without gaps or duplicates', async () => {
    const uploads = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        upload({
          definition: `name: parallel\nagents:\n  only:\n    run: echo ${i}\n`,
        }),
      ),
    );
    expect(uploads.map((r) => r.statusCode)).toEqual(Array(8).fill(201));
    const numbers = uploads.map((r) => r.json().version.version as number).sort((a, b) => a - b);
    expect(numbers).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('lists chains by name a page at a time', async () => {
    const first = await t.app.inject({ url: '/v1/chains?limit=1', headers: ws.headers });
    expect(first.statusCode).toBe(200);
    expect(first.json().chains.map((c: { name: string }) => c.name)).toEqual(['parallel']);
    expect(first.json().chains[0].latestVersion).toBe(8);
    const second = await t.app.inject({
      url: `/v1/chains?limit=1&cursor=${first.json().nextCursor}`,
      headers: ws.headers,
    });
    expect(second.json()).toMatchObject({ chains: [{ name: 'review-flow', latestVersion: 3 }], nextCursor: null });
    const forged = await t.app.inject({ url: '/v1/chains?cursor=%2B%2B', headers: ws.headers });
    expect(forged.statusCode).toBe(400);
  });

  it('answers 404 for unknown chains and versions, 400 for malformed ids', async () => {
    const chain = await t.prisma.chain.findFirstOrThrow({ where: { tenantId: ws.tenantId, name: 'review-flow' } });
    const cases: Array<[string, number]> = [
      [`/v1/chains/${crypto.randomUUID()}/versions`, 404],
      [`/v1/chains/${chain.id}/versions/99`, 404],
      [`/v1/chains/${chain.id}/versions/1/diff/99`, 404],
      ['/v1/chains/not-a-uuid/versions', 400],
      [`/v1/chains/${chain.id}/versions/0`, 400],
      [`/v1/chains/${chain.id}/versions/one/diff/2`, 400],
    ];
    for (const [url, status] of cases) {
      const reply = await t.app.inject({ url, headers: ws.headers });
      expect({ url, status: reply.statusCode }).toEqual({ url, status });
    }
  });

  it("enforces the plan's chain limit; new versions of an existing chain stay allowed", async () => {
    const small = await signUp(t.app, 'chain-limit');
    await limitTenant(t.prisma, small.tenantId, { maxChains: 1 });
    const definition = (name: string, step = 'a') => `name: ${name}\nagents:\n  ${step}:\n    run: echo ${step}\n`;
    const replies = await Promise.all(
      ['one', 'two', 'three'].map((name) => upload({ definition: definition(name) }, small.headers)),
    );
    expect(replies.map((r) => r.statusCode).sort()).toEqual([201, 409, 409]);
    expect(replies.find((r) => r.statusCode === 409)?.json().error).toMatchObject({
      code: 'plan_limit_reached',
      details: [{ limit: 'maxChains', current: 1, maximum: 1 }],
    });
    const kept = replies.find((r) => r.statusCode === 201)?.json().chain.name as string;
    expect((await upload({ definition: definition(kept, 'b') }, small.headers)).statusCode).toBe(201);
    expect(await t.prisma.chain.count({ where: { tenantId: small.tenantId } })).toBe(1);
  });
});
