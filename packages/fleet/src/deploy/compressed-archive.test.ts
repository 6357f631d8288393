import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canCompressUploads, compressedArchive } from './compressed-archive';

const dir = mkdtempSync(join(tmpdir(), 'zst-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('compressedArchive', () => {
  it('compresses a tar of the files once and shares it between uploads of the same files', async () => {
    expect(canCompressUploads()).toBe(true);
    const text = Buffer.from('const answer = 42;\n'.repeat(50_000));
    const noise = randomBytes(100_000);
    writeFileSync(join(dir, 'text'), text);
    writeFileSync(join(dir, 'noise'), noise);
    const entries = [
      { name: `${'a'.repeat(64)}`, path: join(dir, 'text'), size: text.length, mode: 0o600 },
      { name: `${'b'.repeat(64)}.x`, path: join(dir, 'noise'), size: noise.length, mode: 0o600 },
    ];
    const [first, second] = await Promise.all([compressedArchive(entries), compressedArchive(entries)]);
    expect(second).toBe(first);
    expect(first.bytes).toBe(statSync(first.path).size);
    expect(first.bytes).toBeLessThan(text.length / 10 + noise.length + 10_000);
    const out = join(dir, 'out');
    mkdirSync(out);
    execFileSync('sh', ['-c', 'zstd -q -d -c "$1" | tar -x -f - -C "$2"', 'sh', first.path, out]);
    expect(readFileSync(join(out, 'a'.repeat(64))).equals(text)).toBe(true);
    expect(readFileSync(join(out, `${'b'.repeat(64)}.x`)).equals(noise)).toBe(true);
    const other = await compressedArchive(entries.slice(0, 1));
    expect(other.path).not.toBe(first.path);
  });
});
