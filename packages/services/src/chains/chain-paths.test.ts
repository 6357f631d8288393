import { describe, expect, it } from 'vitest';
import { chainFileOnBox, chainFileProblem, directoryConflict, filesOnBox } from './chain-paths';

const HASH = 'a'.repeat(64);

describe('chain paths on a box', () => {
  it('puts a version under chains/<name>/<hash>/', () => {
    expect(chainFileOnBox('review flow.v2', HASH, 'chain.yaml')).toBe(`chains/review flow.v2/${HASH}/chain.yaml`);
    expect(() => chainFileOnBox('../etc', HASH, 'chain.yaml')).toThrow(/directory/);
    expect(() => chainFileOnBox('ok', 'not-a-hash', 'chain.yaml')).toThrow(/sha256/);
    expect(() => chainFileOnBox('ok', HASH, '../chain.yaml')).toThrow(/plain file name/);
  });

  it('accepts ordinary relative paths, normalized', () => {
    for (const path of ['prompts/a.md', './prompts/b.md', 'x y/z (1).md', '-rf', 'ünïcode.md', "it's.md", 'a//b']) {
      expect({ path, problem: chainFileProblem(path, 'chain.yaml') }).toEqual({ path, problem: undefined });
    }
    expect([...filesOnBox({ './prompts/b.md': 'B', 'a.md': 'A' }, 'chain.yaml').keys()]).toEqual([
      'prompts/b.md',
      'a.md',
    ]);
  });

  it('refuses every path that would leave the directory, hit the chain file or carry control bytes', () => {
    const hostile = [
      '',
      '/etc/passwd',
      '../x',
      'a/../../x',
      'a/..',
      '.',
      './',
      'dir/',
      'a\\..\\b',
      'line\nbreak.md',
      'nul\u0000.md',
      'tab\t.md',
      'del\u007f.md',
      'chain.yaml',
      './chain.yaml',
      `${'x'.repeat(256)}.md`,
      `${'d/'.repeat(300)}f`,
    ];
    for (const path of hostile) {
      expect({ path, refused: chainFileProblem(path, 'chain.yaml') !== undefined }).toEqual({ path, refused: true });
    }
    expect(() => filesOnBox({ '../escape.md': 'x' }, 'chain.yaml')).toThrow(/inside the chain directory/);
  });

  it('finds a file that another path needs as a directory', () => {
    expect(directoryConflict(['a', 'a/b'])).toBe('a');
    expect(directoryConflict(['a/b', 'a/c', 'chain.yaml'])).toBeUndefined();
    expect(() => filesOnBox({ 'chain.yaml/x.md': 'x' }, 'chain.yaml')).toThrow(/directory/);
  });
});
