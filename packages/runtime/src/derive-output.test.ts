import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { TerminalToText } from './derive-output';

async function convert(chunks: string[]): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of Readable.from(chunks.map((c) => Buffer.from(c))).pipe(new TerminalToText()))
    parts.push(part);
  return Buffer.concat(parts).toString();
}

describe('TerminalToText', () => {
  it('turns CRLF into LF and drops ::usage lines, whatever the chunking', async () => {
    const text = 'hello\r\n::usage {"input_tokens":1}\r\nworld\r\nkeep \r carriage\r\nlast';
    const expected = 'hello\nworld\nkeep \r carriage\nlast';
    expect(await convert([text])).toBe(expected);
    for (let split = 1; split < text.length; split++) {
      expect(await convert([text.slice(0, split), text.slice(split)])).toBe(expected);
    }
    expect(await convert(text.split(''))).toBe(expected);
  });

  it('keeps a line that only starts like a usage line', async () => {
    expect(await convert([':', ':use it\r\n'])).toBe('::use it\n');
  });
});
