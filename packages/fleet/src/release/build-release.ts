import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { FleetError } from '../errors';
import {
  isReleasePath,
  manifestDigest,
  type ReleaseFile,
  type ReleaseManifest,
  ReleaseManifestSchema,
} from './release-manifest';

/** A release on the control plane's disk: the manifest, and the directory its paths are relative to. */
export interface LocalRelease {
  manifest: ReleaseManifest;
  digest: string;
  root: string;
  totalBytes: number;
}

export const MANIFEST_FILE_NAME = 'paddock-release.json';

/** Hashes every file under `root` into a manifest (symlinks and special files are refused: releases are plain). */
export async function buildReleaseFromDirectory(
  root: string,
  options: { version: string; description?: string; writeManifest?: boolean },
): Promise<LocalRelease> {
  const files: ReleaseFile[] = [];
  for (const path of await listFiles(root)) {
    if (path === MANIFEST_FILE_NAME) continue;
    const rel = path.split(sep).join('/');
    if (!isReleasePath(rel))
      throw new FleetError('invalid_input', `Release file name not allowed: ${JSON.stringify(rel)}`);
    const info = await stat(join(root, path));
    files.push({
      path: rel,
      sha256: await sha256File(join(root, path)),
      size: info.size,
      executable: (info.mode & 0o111) !== 0,
    });
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const parsed = ReleaseManifestSchema.safeParse({
    format: 1,
    version: options.version,
    createdAt: new Date().toISOString(),
    description: options.description ?? '',
    files,
  });
  if (!parsed.success) {
    throw new FleetError(
      'invalid_input',
      `Not a valid release: ${parsed.error.issues.map((i) => i.message).join('; ')}`,
    );
  }
  const manifest = parsed.data;
  if (options.writeManifest !== false) {
    await writeFile(join(root, MANIFEST_FILE_NAME), `${JSON.stringify(manifest, null, 2)}\n`);
  }
  return { manifest, digest: manifestDigest(manifest), root, totalBytes: files.reduce((n, f) => n + f.size, 0) };
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) out.push(relative(root, full));
      else
        throw new FleetError('invalid_input', `Release may hold only files and directories: ${relative(root, full)}`);
    }
  };
  await walk(root);
  return out;
}
