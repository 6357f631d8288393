import { applyPatch } from 'diff';
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from './unified-diff';

const labels = { from: 'a/p.md', to: 'b/p.md' };

/** The printed diff, applied to `before` by a patch tool, must give `after`; returns its changed lines. */
function check(before: string, after: string): string[] {
  const diff = unifiedDiff(before, after, labels);
  if (diff === null) {
    expect(before).toBe(after);
    return [];
  }
  expect(applyPatch(before, diff)).toBe(after);
  return diff.split('\n').filter((line) => /^[-+](?![-+]{2} )/.test(line));
}

describe('unifiedDiff', () => {
  it('is null for identical text', () => {
    expect(unifiedDiff('same\n', 'same\n', labels)).toBeNull();
  });

  it('prints a minimal hunk with context, as diff -u does', () => {
    const before = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight'].join('\n') + '\n';
    const after = ['one', 'two', 'three', 'FOUR', 'five', 'six', 'seven', 'eight', 'nine'].join('\n') + '\n';
    expect(unifiedDiff(before, after, labels)).toBe(
      [
        '--- a/p.md',
        '+++ b/p.md',
        '@@ -1,8 +1,9 @@',
        ' one',
        ' two',
        ' three',
        '-four',
        '+FOUR',
        ' five',
        ' six',
        ' seven',
        ' eight',
        '+nine',
        '',
      ].join('\n'),
    );
  });

  it('splits distant changes into separate hunks with correct line numbers', () => {
    const before = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
    const after = [...before];
    after[1] = 'changed 2';
    after.splice(25, 1);
    const diff = unifiedDiff(before.join('\n') + '\n', after.join('\n') + '\n', labels) ?? '';
    const headers = diff.split('\n').filter((line) => line.startsWith('@@'));
    expect(headers).toEqual(['@@ -1,5 +1,5 @@', '@@ -23,7 +23,6 @@']);
  });

  it('marks a missing final newline', () => {
    expect(unifiedDiff('a\n', 'a', labels)).toBe(
      ['--- a/p.md', '+++ b/p.md', '@@ -1 +1 @@', '-a', '+a', '\\ No newline at end of file', ''].join('\n'),
    );
  });

  it('shows additions to and removals from empty files', () => {
    expect(unifiedDiff('', 'x\ny\n', labels)).toContain('@@ -0,0 +1,2 @@\n+x\n+y\n');
    expect(unifiedDiff('x\n', '', labels)).toContain('@@ -1 +0,0 @@\n-x\n');
  });

  it('finds a shortest edit script for interleaved edits', () => {
    const changed = check('a\nb\nc\na\nb\nb\na\n', 'c\nb\na\nb\na\nc\n');
    expect(changed.length).toBe(5);
  });

  it('prints a patch that turns before into after (property check)', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const a = Array.from({ length: random(20) }, () => `l${random(5)}\n`).join('');
      const b = Array.from({ length: random(20) }, () => `l${random(5)}\n`).join('');
      const trimmed = random(3) === 0 ? b.replace(/\n$/, '') : b;
      check(a, trimmed);
    }
  });

  it('shows files too far apart as a whole-file replacement that still applies', () => {
    const before = Array.from({ length: 1_100 }, (_, i) => `old ${i}\n`).join('');
    const after = Array.from({ length: 1_100 }, (_, i) => `new ${i}\n`).join('');
    const diff = unifiedDiff(before, after, labels) ?? '';
    expect(diff.split('\n')[2]).toBe('@@ -1,1100 +1,1100 @@');
    expect(applyPatch(before, diff)).toBe(after);
  });
});
