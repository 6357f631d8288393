import { createReadStream, createWriteStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const USAGE_PREFIX = Buffer.from('::usage ');

/**
 * Turns a terminal transcript into plain output: CRLF (the terminal's ONLCR) back to LF, and `::usage` report lines
 * dropped. Streams with O(1) memory, so a 100 MB output is fine.
 */
export class TerminalToText extends Transform {
  private atLineStart = true;
  private skipping = false;
  private pendingCr = false;
  private head: Buffer = Buffer.alloc(0);

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const out: Buffer[] = [];
    let data = this.head.length > 0 ? Buffer.concat([this.head, chunk]) : chunk;
    this.head = Buffer.alloc(0);
    let i = 0;
    while (i < data.length) {
      if (this.atLineStart && !this.skipping) {
        const avail = Math.min(USAGE_PREFIX.length, data.length - i);
        if (data.subarray(i, i + avail).equals(USAGE_PREFIX.subarray(0, avail))) {
          if (avail < USAGE_PREFIX.length) {
            this.head = Buffer.from(data.subarray(i)); // undecided: wait for more bytes
            data = data.subarray(0, i);
            break;
          }
          this.skipping = true;
        }
        this.atLineStart = false;
      }
      const nl = data.indexOf(0x0a, i);
      const end = nl < 0 ? data.length : nl;
      if (!this.skipping) {
        if (this.pendingCr) {
          if (end !== i || nl < 0) out.push(Buffer.from('\r'));
          this.pendingCr = false;
        }
        let segEnd = end;
        if (nl >= 0 && segEnd > i && data[segEnd - 1] === 0x0d) segEnd -= 1;
        else if (nl < 0 && segEnd > i && data[segEnd - 1] === 0x0d) {
          segEnd -= 1;
          this.pendingCr = true;
        }
        out.push(data.subarray(i, segEnd));
        if (nl >= 0) out.push(Buffer.from('\n'));
      }
      if (nl < 0) break;
      this.skipping = false;
      this.atLineStart = true;
      i = nl + 1;
    }
    done(null, out.length > 0 ? Buffer.concat(out) : undefined);
  }

  override _flush(done: TransformCallback): void {
    const tail: Buffer[] = [];
    if (this.pendingCr) tail.push(Buffer.from('\r'));
    if (this.head.length > 0 && !this.skipping) tail.push(this.head);
    done(null, tail.length > 0 ? Buffer.concat(tail) : undefined);
  }
}

export async function deriveOutput(ptyLog: string, output: string): Promise<void> {
  await pipeline(createReadStream(ptyLog), new TerminalToText(), createWriteStream(output, { flags: 'wx' }));
}
