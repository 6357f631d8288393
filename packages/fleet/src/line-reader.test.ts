import { describe, expect, it } from 'vitest';
import { LineReader, type OversizeLine } from './line-reader';

function reader(maxLineBytes = 1024, keepEmpty = false) {
  const lines: string[] = [];
  const oversize: OversizeLine[] = [];
  const r = new LineReader(
    (line) => lines.push(line),
    maxLineBytes,
    (o) => oversize.push(o),
    keepEmpty,
    8,
  );
  return { r, lines, oversize };
}

describe('LineReader', () => {
  it('decodes a multi-byte character split across chunks whole, at every split point', () => {
    const text = Buffer.from('grüße 🚀 ok\nzwei\n');
    for (let cut = 1; cut < text.length; cut++) {
      const { r, lines } = reader();
      r.push(text.subarray(0, cut));
      r.push(text.subarray(cut));
      r.end();
      expect(lines).toEqual(['grüße 🚀 ok', 'zwei']);
    }
  });

  it('delivers a last line without a newline at the end, and empty lines when asked', () => {
    const { r, lines } = reader(1024, true);
    r.push(Buffer.from('a\n\nb'));
    expect(lines).toEqual(['a', '']);
    r.end();
    expect(lines).toEqual(['a', '', 'b']);
    r.end();
    expect(lines).toEqual(['a', '', 'b']);
  });

  it('reports an overlong line by its size and first bytes, also when the stream ends inside it', () => {
    const { r, lines, oversize } = reader(16);
    r.push(Buffer.from(`short\n${'x'.repeat(40)}\nafter\n${'y'.repeat(30)}`));
    r.end();
    expect(lines).toEqual(['short', 'after']);
    expect(oversize).toEqual([
      { bytes: 40, head: 'xxxxxxxx' },
      { bytes: 30, head: 'yyyyyyyy' },
    ]);
  });

  it('stops at pause, even inside a chunk, and goes on where it stopped at resume', () => {
    const lines: string[] = [];
    const r: LineReader = new LineReader((line) => {
      lines.push(line);
      if (line === 'stop') r.pause();
    }, 1024);
    r.push(Buffer.from('one\nstop\ntwo\nthr'));
    r.push(Buffer.from('ee\n'));
    expect(lines).toEqual(['one', 'stop']);
    expect(r.bufferedBytes).toBe('two\nthree\n'.length);
    r.resume();
    expect(lines).toEqual(['one', 'stop', 'two', 'three']);
  });
});
