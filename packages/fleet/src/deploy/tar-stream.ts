import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

export interface TarEntry {
  /** At most 100 bytes of plain ASCII (store object names are 64-66). */
  name: string;
  path: string;
  size: number;
  mode: number;
}

const BLOCK = 512;

/**
 * A ustar archive of local files, produced while it is read: headers are written here, file bodies stream from disk,
 * so a 128 MB release costs a few buffers of memory. The box extracts it with tar(1) in one pass.
 */
export function tarStream(entries: TarEntry[], onBytes?: (n: number) => void): Readable {
  async function* generate() {
    for (const entry of entries) {
      yield header(entry);
      let sent = 0;
      for await (const chunk of createReadStream(entry.path, { highWaterMark: 1 << 20 })) {
        const buffer = chunk as Buffer;
        sent += buffer.length;
        onBytes?.(buffer.length);
        yield buffer;
      }
      if (sent !== entry.size)
        throw new Error(`${entry.path} changed while it was sent (${sent} of ${entry.size} bytes)`);
      const pad = (BLOCK - (entry.size % BLOCK)) % BLOCK;
      if (pad > 0) yield Buffer.alloc(pad);
    }
    yield Buffer.alloc(BLOCK * 2);
  }
  return Readable.from(generate(), { objectMode: false });
}

export function header(entry: TarEntry): Buffer {
  const name = Buffer.from(entry.name, 'ascii');
  if (name.length > 100 || !/^[\x21-\x7e]+$/.test(entry.name)) throw new Error(`tar name not allowed: ${entry.name}`);
  const block = Buffer.alloc(BLOCK);
  name.copy(block, 0);
  octal(entry.mode & 0o7777, 8).copy(block, 100);
  octal(0, 8).copy(block, 108);
  octal(0, 8).copy(block, 116);
  octal(entry.size, 12).copy(block, 124);
  octal(Math.floor(Date.now() / 1000), 12).copy(block, 136);
  block.fill(0x20, 148, 156);
  block.write('0', 156, 'ascii');
  block.write('ustar\u000000', 257, 'ascii');
  let sum = 0;
  for (const byte of block) sum += byte;
  Buffer.from(`${sum.toString(8).padStart(6, '0')}\u0000 `, 'ascii').copy(block, 148);
  return block;
}

function octal(value: number, width: number): Buffer {
  const digits = value.toString(8);
  if (digits.length > width - 1) throw new Error(`${value} does not fit a tar field of ${width}`);
  return Buffer.from(`${digits.padStart(width - 1, '0')}\u0000`, 'ascii');
}
