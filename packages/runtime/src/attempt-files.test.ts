import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openAttempt, publishAttempt } from './attempt-files';
import { attemptsDir, runLayout, stepLayout } from './paths';

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

function run() {
  root = mkdtempSync(join(tmpdir(), 'attempt-files-'));
  return runLayout(root, 'r1');
}

const ino = (path: string) => statSync(path).ino;

describe('attempt files', () => {
  it('gives each attempt its own files and points the usual paths at the latest started one', () => {
    const r = run();
    const usual = stepLayout(r, 'work');
    const first = openAttempt(r, 'work', 1);
    expect(first.layout.dir).toBe(join(usual.dir, 'attempts', '1'));
    // The terminal log link exists from the start: a reader of steps/work/pty.log follows the live attempt.
    appendFileSync(first.layout.ptyLog, 'one\n');
    expect(readFileSync(usual.ptyLog, 'utf8')).toBe('one\n');
    writeFileSync(first.layout.output, 'output one');
    writeFileSync(first.layout.stdin, 'stdin one');
    expect(existsSync(usual.output)).toBe(false);
    publishAttempt(first);
    expect(readFileSync(usual.output, 'utf8')).toBe('output one');
    expect(ino(usual.stdin)).toBe(ino(first.layout.stdin));

    // The next attempt: the earlier output no longer passes for the current one, and nothing of attempt 1 changes.
    const second = openAttempt(r, 'work', 2);
    expect(existsSync(usual.output)).toBe(false);
    expect(existsSync(usual.stdin)).toBe(false);
    expect(readFileSync(usual.ptyLog, 'utf8')).toBe('');
    appendFileSync(second.layout.ptyLog, 'two\n');
    writeFileSync(second.layout.output, 'output two');
    publishAttempt(second);
    expect(readFileSync(usual.output, 'utf8')).toBe('output two');
    expect(readFileSync(usual.ptyLog, 'utf8')).toBe('two\n');
    expect(readFileSync(first.layout.output, 'utf8')).toBe('output one');
    expect(readFileSync(first.layout.ptyLog, 'utf8')).toBe('one\n');
    // No temporary link names are left behind.
    expect(readdirSync(usual.dir).sort()).toEqual(['attempts', 'output', 'pty.log']);
  });

  it('an attempt that ends after a later one started leaves the usual paths to the later one', () => {
    const r = run();
    const first = openAttempt(r, 'work', 1);
    const second = openAttempt(r, 'work', 2);
    writeFileSync(first.layout.output, 'late');
    publishAttempt(first);
    expect(existsSync(stepLayout(r, 'work').output)).toBe(false);
    expect(ino(stepLayout(r, 'work').ptyLog)).toBe(ino(second.layout.ptyLog));
  });

  it('keeps what an unrecorded launch with the same number left, and a step directory from before attempts', () => {
    const r = run();
    const again = openAttempt(r, 'work', 1);
    writeFileSync(again.layout.output, 'never recorded');
    openAttempt(r, 'work', 1);
    const kept = readdirSync(attemptsDir(r, 'work')).filter((name) => name.startsWith('1-unrecorded-'));
    expect(kept).toHaveLength(1);
    expect(readFileSync(join(attemptsDir(r, 'work'), kept[0] as string, 'output'), 'utf8')).toBe('never recorded');
    expect(existsSync(join(attemptsDir(r, 'work'), '1', 'output'))).toBe(false);

    const legacy = stepLayout(r, 'old');
    mkdirSync(legacy.dir, { recursive: true });
    writeFileSync(legacy.output, 'old output');
    writeFileSync(legacy.ptyLog, 'old log');
    openAttempt(r, 'old', 1);
    expect(readFileSync(join(attemptsDir(r, 'old'), 'unnumbered', 'output'), 'utf8')).toBe('old output');
    expect(readFileSync(join(attemptsDir(r, 'old'), 'unnumbered', 'pty.log'), 'utf8')).toBe('old log');
    expect(readFileSync(legacy.ptyLog, 'utf8')).toBe('');
  });
});
