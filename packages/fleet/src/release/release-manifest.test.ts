import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FleetError } from '../errors';
import { buildReleaseFromDirectory } from './build-release';
import { isReleasePath, manifestDigest, ReleaseManifestSchema } from './release-manifest';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function releaseDir(files: Record<string, string>, executable: string[] = ['bin/chainctl']): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'manifest-'));
  dirs.push(root);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content, { mode: executable.includes(path) ? 0o755 : 0o644 });
  }
  return root;
}

describe('release manifests', () => {
  it('hashes every file, notes the executable bit, and names the content by digest', async () => {
    const root = await releaseDir({ 'bin/chainctl': '#!/bin/sh\n', 'lib/a.js': 'a' });
    const release = await buildReleaseFromDirectory(root, { version: '1.0.0' });
    expect(release.manifest.files).toEqual([
      { path: 'bin/chainctl', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), size: 10, executable: true },
      {
        path: 'lib/a.js',
        sha256: 'ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb',
        size: 1,
        executable: false,
      },
    ]);
    expect(release.totalBytes).toBe(11);
    const again = await buildReleaseFromDirectory(root, { version: '1.0.0' });
    expect(again.digest).toBe(release.digest);
    writeFileSync(join(root, 'lib/a.js'), 'b');
    expect((await buildReleaseFromDirectory(root, { version: '1.0.0' })).digest).not.toBe(release.digest);
  });

  it('refuses versions and paths that could escape or surprise a shell', async () => {
    const root = await releaseDir({ 'bin/chainctl': 'x' });
    for (const version of ['../x', '$(id)', 'a b', '', '-rf', 'x'.repeat(65)]) {
      await expect(buildReleaseFromDirectory(root, { version })).rejects.toThrow(FleetError);
    }
    for (const path of ['../a', 'a/../b', '/etc/passwd', 'a//b', './a', 'a/.', 'a b', 'a;b', '$x', '-rf']) {
      expect(isReleasePath(path)).toBe(false);
    }
    for (const path of ['node_modules/@lydell/node-pty/index.js', 'bin/chainctl', '.hidden/file', 'a+b/c-d_e.f']) {
      expect(isReleasePath(path)).toBe(true);
    }
  });

  it('requires an executable bin/chainctl, and plain files only', async () => {
    await expect(buildReleaseFromDirectory(await releaseDir({ 'lib/a.js': 'a' }), { version: '1' })).rejects.toThrow(
      /bin\/chainctl/,
    );
    const withLink = await releaseDir({ 'bin/chainctl': 'x' });
    symlinkSync('/etc/passwd', join(withLink, 'passwd'));
    await expect(buildReleaseFromDirectory(withLink, { version: '1' })).rejects.toThrow(/only files/);
  });

  it('rejects a manifest with duplicate paths or a file inside a file', () => {
    const file = { sha256: 'a'.repeat(64), size: 1, executable: true };
    const base = { format: 1, version: '1', createdAt: 'now' };
    const dup = ReleaseManifestSchema.safeParse({
      ...base,
      files: [
        { ...file, path: 'bin/chainctl' },
        { ...file, path: 'bin/chainctl' },
      ],
    });
    expect(dup.success).toBe(false);
    const nested = ReleaseManifestSchema.safeParse({
      ...base,
      files: [
        { ...file, path: 'bin/chainctl' },
        { ...file, path: 'bin/chainctl/x' },
      ],
    });
    expect(nested.success).toBe(false);
    const ok = ReleaseManifestSchema.parse({ ...base, files: [{ ...file, path: 'bin/chainctl' }] });
    expect(manifestDigest(ok)).toMatch(/^[0-9a-f]{64}$/);
  });
});
