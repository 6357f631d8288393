import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tarStream } from './tar-stream';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('tarStream', () => {
  it('produces an archive GNU tar extracts byte for byte, sizes on and off block boundaries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tar-'));
    dirs.push(dir);
    const files = { a: randomBytes(0), b: randomBytes(512), c: randomBytes(513), d: randomBytes(3 * 1024 * 1024 + 7) };
    for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
    let counted = 0;
    const archive = await collect(
      tarStream(
        Object.entries(files).map(([name, data]) => ({
          name: `${name}${'0'.repeat(64)}.x`,
          path: join(dir, name),
          size: data.length,
          mode: 0o600,
        })),
        (n) => {
          counted += n;
        },
      ),
    );
    expect(counted).toBe(Object.values(files).reduce((n, f) => n + f.length, 0));
    expect(archive.length % 512).toBe(0);
    const out = join(dir, 'out');
    mkdirSync(out);
    execFileSync('tar', ['-x', '-f', '-', '-C', out], { input: archive });
    for (const [name, data] of Object.entries(files)) {
      const path = join(out, `${name}${'0'.repeat(64)}.x`);
      expect(readFileSync(path).equals(data)).toBe(true);
      expect(statSync(path).mode & 0o777).toBe(0o600);
    }
  });

  it('fails when a file changes size while it is read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tar-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'x'), 'abc');
    await expect(collect(tarStream([{ name: 'x', path: join(dir, 'x'), size: 10, mode: 0o600 }]))).rejects.toThrow(
      /changed/,
    );
  });
});
