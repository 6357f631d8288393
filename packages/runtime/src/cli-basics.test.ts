import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appendEventSync } from './event-store';
import { runLayout } from './paths';
import { type TempBox, tempBox } from './test-support';

let box: TempBox;
afterEach(() => box?.cleanup());

const LINEAR = `name: linear
agents:
  a:
    run: echo a
    prompt: prompts/a.md
  b:
    run: cat
    needs: [a]
    input: [a, { run_input: topic }]
`;

describe('chainctl validate', () => {
  it('prints file, line, column and field for each problem, exit 2', async () => {
    box = tempBox();
    const file = box.file('bad.yaml', 'name: bad\nagents:\n  a:\n    run: echo\n    needs: [nope]\n    colour: red\n');
    const res = await box.cli('validate', file);
    expect(res.code).toBe(2);
    expect(res.err).toContain(`${file}:5:13: agents.a.needs[0]: unknown step "nope"`);
    expect(res.err).toContain(`${file}:6:5: agents.a.colour: is not a known field`);
    const json = await box.cli('validate', file, '--json');
    expect(json.json()).toMatchObject({
      ok: false,
      error: { code: 'validation_failed', errors: [{ line: 5 }, { line: 6 }] },
    });
  });

  it('accepts a valid chain and reports its version over the prompts', async () => {
    box = tempBox();
    const file = box.file('c/chain.yaml', LINEAR);
    box.file('c/prompts/a.md', 'v1');
    const first = (await box.cli('validate', file, '--json')).json() as { ok: boolean; version: string };
    expect(first.ok).toBe(true);
    box.file('c/prompts/a.md', 'v2');
    const second = (await box.cli('validate', file, '--json')).json() as { version: string };
    expect(second.version).not.toBe(first.version);
  });

  it('refuses a prompt that escapes the chain directory through a symlink', async () => {
    box = tempBox();
    const file = box.file('c/chain.yaml', LINEAR);
    box.file('secret.md', 'top secret');
    const { symlinkSync } = await import('node:fs');
    symlinkSync(join(box.dir, 'secret.md'), join(box.dir, 'c', 'prompts-link'));
    writeFileSync(file, LINEAR.replace('prompts/a.md', 'prompts-link'));
    const res = await box.cli('validate', file, '--json');
    expect(res.code).toBe(2);
    expect(JSON.stringify(res.json())).toContain('resolves outside the chain directory');
  });
});

describe('chainctl run, status, events (no daemon)', () => {
  it('creates the run layout, freezes chain and prompts, and records a created event', async () => {
    box = tempBox();
    const file = box.file('c/chain.yaml', LINEAR);
    box.file('c/prompts/a.md', 'prompt a');
    box.file('topic.txt', 'from a file');
    const res = await box.cli('run', file, '--input', 'topic=@topic.txt', '--id', 'run-1', '--json');
    expect(res.code).toBe(0);
    expect(res.json()).toMatchObject({ run_id: 'run-1', status: 'queued', daemon_running: false });
    const run = runLayout(box.root, 'run-1');
    expect(readFileSync(run.chainFile, 'utf8')).toBe(LINEAR);
    expect(readFileSync(join(run.promptsDir, 'prompts/a.md'), 'utf8')).toBe('prompt a');
    expect(readFileSync(join(run.inputsDir, 'topic'), 'utf8')).toBe('from a file');
    expect(readdirSync(run.eventsDir)).toEqual(['000001-_run.created.json']);
    const status = (await box.cli('status', 'run-1', '--json')).json() as {
      status: string;
      steps: { status: string }[];
    };
    expect(status.status).toBe('queued');
    expect(status.steps.map((s) => s.status)).toEqual(['pending', 'pending']);
    const again = await box.cli('run', file, '--input', 'topic=x', '--id', 'run-1', '--json');
    expect(again.code).toBe(4);
  });

  it('refuses missing inputs and unsafe run ids without creating anything', async () => {
    box = tempBox();
    const file = box.file('c/chain.yaml', LINEAR);
    box.file('c/prompts/a.md', 'p');
    expect((await box.cli('run', file, '--id', 'r1')).err).toContain('missing --input topic');
    const res = await box.cli('run', file, '--input', 'topic=x', '--id', '../../etc', '--json');
    expect(res.code).toBe(2);
    expect(() => readdirSync(join(box.root, 'runs'))).toThrow();
  });

  it('pages events box-wide with a cursor, each event exactly once, skipping malformed files', async () => {
    box = tempBox();
    const file = box.file('c/chain.yaml', LINEAR);
    box.file('c/prompts/a.md', 'p');
    await box.cli('run', file, '--input', 'topic=x', '--id', 'r1');
    await box.cli('run', file, '--input', 'topic=x', '--id', 'r2');
    const first = box.cli('events', '--json');
    const page1 = (await first).lines() as { run_id: string; cursor: string; kind: string }[];
    expect(page1.map((e) => `${e.run_id}:${e.kind}`)).toEqual(['r1:created', 'r2:created']);
    const cursor = page1.at(-1)?.cursor as string;
    appendEventSync(box.root, 'r1', { step: 'a', kind: 'started', status: 'running', attempt: 1 });
    const bad = appendEventSync(box.root, 'r2', { step: 'a', kind: 'started', status: 'running', attempt: 1 });
    writeFileSync(join(runLayout(box.root, 'r2').eventsDir, bad.file), '{ not json');
    const page2 = await box.cli('events', '--since', cursor, '--json');
    expect((page2.lines() as { run_id: string }[]).map((e) => e.run_id)).toEqual(['r1']);
    expect(page2.err).toContain(`skipped malformed event r2/${bad.file}: not valid JSON`);
    const last = (page2.lines().at(-1) as { cursor: string }).cursor;
    expect((await box.cli('events', '--since', last, '--json')).out).toBe('');
    const status = (await box.cli('status', 'r2', '--json')).json() as { malformed: { file: string }[] };
    expect(status.malformed.map((m) => m.file)).toEqual([bad.file]);
    expect((await box.cli('events', '--since', 'garbage', '--json')).code).toBe(2);
  });
});

describe('chainctl argument errors name the flag (exit 2, nothing created)', () => {
  it('refuses unknown flags, flags of another command, missing values and values given to switches', async () => {
    box = tempBox();
    const file = box.file('c/chain.yaml', LINEAR);
    box.file('c/prompts/a.md', 'p');
    const cases: [string[], string][] = [
      [['run', file, '--input', 'topic=x', '--colour', 'red'], 'unknown flag --colour'],
      [['run', file, '--input', 'topic=x', '-x'], 'unknown flag -x'],
      [['run', file, '--input', 'topic=x', '--from', 'a'], 'unknown flag --from for this command'],
      [['run', file, '--input', 'topic=x', '--id'], '--id needs a value'],
      [['run', file, '--input', 'topic=x', '--wait=yes'], '--wait takes no value'],
      [['events', '--limit', 'ten'], '--limit must be an integer >= 1'],
    ];
    for (const [argv, message] of cases) {
      const res = await box.cli(...argv);
      expect(res.code, argv.join(' ')).toBe(2);
      expect(res.err).toContain(`chainctl: ${message}`);
      const json = await box.cli(...argv, '--json');
      expect(json.json()).toMatchObject({ ok: false, error: { code: 'bad_request' } });
      expect(JSON.stringify(json.json())).toContain(message);
    }
    expect(() => readdirSync(join(box.root, 'runs'))).toThrow();
    // Values that only look like flags pass with `=`, and a repeated flag keeps every value in order.
    const ok = await box.cli('run', file, '--input', 'topic=x', '--input=other=-y', '--id=r-1', '--json');
    expect(ok.code, ok.err).toBe(0);
    expect(readFileSync(join(runLayout(box.root, 'r-1').inputsDir, 'other'), 'utf8')).toBe('-y');
  });
});
