import { isAbsolute, relative } from 'node:path';
import { seedPlans } from '@paddock/db';
import { type TempBox, tempBox } from '@paddock/runtime/test-support';
import { createTestDatabase, readFuzzSettings } from '@paddock/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../apps/api/src/test-app';
import { errorShapeProblem } from '../support/error-shape';
import { prototypePolluted } from '../support/hostile-values';
import { installWriteCounter, type WriteCounter, writesBetween } from '../support/write-counter';
import { signUp } from '../tenant/support';
import { chainText, PROMPTS } from './chain-texts';

// Generated chain files through both doors a chain comes in by: `chainctl validate` on a box, and the upload route
// of the API. Either accepts the chain, or refuses it with errors that name the file, a line and column inside it
// and the field, never with a crash (chainctl exit 70), a stack trace or a 500; a refused upload writes no row.

const settings = readFuzzSettings();
const VALIDATE_RUNS = settings.runs(60);
// An upload does far more (a transaction, a job record, a queue): fewer cases in the short profile.
const UPLOAD_RUNS = settings.runs(20);

interface ValidateJson {
  ok: boolean;
  error?: { code: string; message: string; errors?: Array<Record<string, unknown>> };
}

describe('chain files under generated hostile text', () => {
  let box: TempBox;
  beforeAll(() => {
    box = tempBox();
    for (const [path, text] of Object.entries(PROMPTS)) box.file(`chain/${path}`, text);
  });
  afterAll(() => box?.cleanup());

  it('chainctl validate accepts or locates every problem (file, line, column, field), never crashes', {
    timeout: 180_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(chainText, async (text) => {
        const file = box.file('chain/chain.yaml', text);
        const json = await box.cli('validate', file, '--json');
        expect([0, 2], json.out).toContain(json.code);
        const answer = JSON.parse(json.out) as ValidateJson;
        expect(answer.ok).toBe(json.code === 0);
        if (!answer.ok) {
          expect(answer.error?.code).toBe('validation_failed');
          const lines = text.split('\n').length;
          for (const error of answer.error?.errors ?? []) {
            expect(error).toEqual({
              file: expect.any(String),
              line: expect.any(Number),
              column: expect.any(Number),
              field: expect.any(String),
              message: expect.stringMatching(/\S/),
            });
            // The file is the one validated (or one it references, inside the chain's directory).
            const named = relative(box.dir, String(error.file));
            expect(named.startsWith('..') || isAbsolute(named), String(error.file)).toBe(false);
            expect(error.line as number).toBeGreaterThanOrEqual(1);
            if (error.file === file) expect(error.line as number).toBeLessThanOrEqual(lines + 1);
            expect(error.column as number).toBeGreaterThanOrEqual(1);
          }
          expect(answer.error?.errors?.length ?? 0).toBeGreaterThan(0);
        }
        const plain = await box.cli('validate', file);
        expect(plain.code).toBe(json.code);
        expect(plain.err).not.toMatch(/\n\s+at |node_modules/);
        expect(prototypePolluted()).toBe(false);
      }),
      { numRuns: VALIDATE_RUNS, seed: settings.seed },
    );
  });

  describe('POST /v1/chains', () => {
    let t: TestApp;
    let writes: WriteCounter;
    let headers: { authorization: string };
    beforeAll(async () => {
      const database = await createTestDatabase();
      t = await startTestApp({ database });
      await seedPlans(t.prisma);
      headers = (await signUp(t.app, 'chain-fuzz')).headers;
      writes = await installWriteCounter(database.ownerUrl);
    });
    afterAll(async () => {
      await writes?.close();
      await t?.close();
    });

    it('stores the chain or refuses it in the error shape with located details, writing nothing', {
      timeout: 180_000,
    }, async () => {
      await fc.assert(
        fc.asyncProperty(chainText, fc.boolean(), async (definition, withFiles) => {
          const before = await writes.read();
          const reply = await t.app.inject({
            method: 'POST',
            url: '/v1/chains',
            headers,
            payload: { definition, ...(withFiles ? { files: PROMPTS } : {}) },
          });
          expect(reply.statusCode, reply.body.slice(0, 500)).not.toBe(500);
          if (reply.statusCode >= 400) {
            expect(errorShapeProblem(reply.statusCode, reply.headers['content-type'] as string, reply.body)).toBeNull();
            expect(writesBetween(before, await writes.read()), reply.body.slice(0, 300)).toEqual({});
            const error = reply.json().error as { code: string; details?: Array<Record<string, unknown>> };
            if (error.code === 'validation_failed' && error.details?.some((d) => 'line' in d)) {
              for (const detail of error.details) {
                expect(detail).toMatchObject({ path: expect.any(String), message: expect.stringMatching(/\S/) });
              }
            }
          } else {
            expect([200, 201]).toContain(reply.statusCode);
          }
          expect(prototypePolluted()).toBe(false);
        }),
        { numRuns: UPLOAD_RUNS, seed: settings.seed },
      );
    });
  });
});
