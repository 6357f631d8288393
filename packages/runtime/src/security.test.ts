import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Daemon } from './daemon';
import { finished, startTestDaemon } from './daemon-test-support';
import { readRunEvents } from './event-store';
import { runLayout, stepLayout } from './paths';
import { type TempBox, tempBox } from './test-support';

let box: TempBox;
let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.stop(0);
  daemon = undefined;
  box?.cleanup();
});

describe('hostile names and inputs', () => {
  it('passes shell metacharacters in inputs through as data, never as commands', async () => {
    box = tempBox();
    daemon = await startTestDaemon(box);
    const canary = join(box.dir, 'pwned');
    const payload = `$(touch ${canary}) \`touch ${canary}\` ; touch ${canary} | touch ${canary} && touch ${canary} 'quote" \n../../etc/passwd`;
    const file = box.file('m.yaml', 'name: meta\nagents:\n  echo: { input: { run_input: text }, run: cat }\n');
    writeFileSync(join(box.dir, 'payload'), payload);
    expect((await box.cli('run', file, '--id', 'meta', '--input', 'text=@payload')).code).toBe(0);
    expect((await finished(box, 'meta')).state.status).toBe('succeeded');
    expect(readFileSync(stepLayout(runLayout(box.root, 'meta'), 'echo').output, 'utf8')).toBe(
      payload.replace(/\n/g, '\n'),
    );
    expect(existsSync(canary)).toBe(false);
  });

  it('refuses traversal in run ids, input keys, step names, prompt paths and replay targets, writing nothing', async () => {
    box = tempBox();
    const ok = box.file('ok.yaml', 'name: ok\nagents:\n  a: { run: echo }\n');
    for (const id of ['../x', '..', 'a/b', '.hidden', 'a b', '$(id)']) {
      const res = await box.cli('run', ok, '--id', id, '--json');
      expect(res.code).toBe(2);
    }
    expect((await box.cli('run', ok, '--input', '../k=v')).code).toBe(2);
    expect((await box.cli('status', '../../etc', '--json')).code).toBe(2);
    expect((await box.cli('events', '--run', '../x', '--json')).code).not.toBe(0);
    const badStep = box.file('bad.yaml', 'name: bad\nagents:\n  "../../x": { run: echo }\n');
    expect((await box.cli('run', badStep, '--id', 'bad')).code).toBe(2);
    const badPrompt = box.file('p.yaml', 'name: p\nagents:\n  a: { run: echo, prompt: ../../../etc/passwd }\n');
    expect((await box.cli('run', badPrompt, '--id', 'p')).code).toBe(2);
    const badWorkdir = box.file('w.yaml', 'name: w\nagents:\n  a: { run: echo, workdir: ../../.. }\n');
    expect((await box.cli('run', badWorkdir, '--id', 'w')).code).toBe(2);
    expect(existsSync(join(box.root, 'runs')) ? readdirSync(join(box.root, 'runs')) : []).toEqual([]);
    await box.cli('run', ok, '--id', 'real');
    const replay = await box.cli('replay', 'real', '--from', '../../x', '--json');
    expect(replay.code).toBe(3);
  });

  it('reports and skips a malformed event file a person wrote, and the run goes on', async () => {
    box = tempBox();
    daemon = await startTestDaemon(box);
    const file = box.file(
      'g.yaml',
      'name: g\nagents:\n  a: { run: "sleep 0.3; echo a" }\n  b: { needs: [a], run: echo b }\n',
    );
    await box.cli('run', file, '--id', 'g');
    writeFileSync(join(runLayout(box.root, 'g').eventsDir, '000099-a.complete.json'), '{"this is": "broken"');
    writeFileSync(join(runLayout(box.root, 'g').eventsDir, 'notes.txt'), 'a person left this here');
    const done = await finished(box, 'g');
    expect(done.state.status).toBe('succeeded');
    expect(
      readRunEvents(box.root, 'g')
        .malformed.map((m) => m.file)
        .sort(),
    ).toEqual(['000099-a.complete.json', 'notes.txt']);
    const status = await box.cli('status', 'g');
    expect(status.err).toContain('skipped malformed event 000099-a.complete.json: not valid JSON');
  });

  it('captures a 100 MB terminal output to pty.log and output', async () => {
    box = tempBox();
    daemon = await startTestDaemon(box);
    const file = box.file(
      'big.yaml',
      `name: big\nagents:\n  big: { run: "head -c 100000000 /dev/zero | tr '\\\\0' x" }\n  after: { needs: [big], input: big, run: 'wc -c' }\n`,
    );
    await box.cli('run', file, '--id', 'big');
    const done = await finished(box, 'big', 60_000);
    expect(done.state.status).toBe('succeeded');
    const r = runLayout(box.root, 'big');
    expect(statSync(stepLayout(r, 'big').ptyLog).size).toBe(100_000_000);
    expect(statSync(stepLayout(r, 'big').output).size).toBe(100_000_000);
    expect(readFileSync(stepLayout(r, 'after').output, 'utf8').trim()).toBe('100000000');
  });
});
