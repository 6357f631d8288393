import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { capBytes } from './cap-bytes';

describe('capBytes', () => {
  it('passes at most maxBytes of an endless stream and destroys the source', async () => {
    let produced = 0;
    const endless = new Readable({
      read() {
        produced += 64 * 1024;
        this.push(Buffer.alloc(64 * 1024, 0x61));
      },
    });
    const chunks: Buffer[] = [];
    for await (const chunk of capBytes(endless, 100_000)) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).length).toBe(100_000);
    expect(endless.destroyed).toBe(true);
    // Read ahead is bounded by the stream buffers, not by what the box would send.
    expect(produced).toBeLessThan(1024 * 1024);
  });

  it('passes a shorter stream whole', async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of capBytes(Readable.from([Buffer.from('abc'), Buffer.from('def')]), 100)) {
      chunks.push(chunk as Buffer);
    }
    expect(Buffer.concat(chunks).toString()).toBe('abcdef');
  });
});
