import { execFile } from 'node:child_process';
import { chmod, copyFile, cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { buildReleaseFromDirectory, type LocalRelease } from './build-release';

const run = promisify(execFile);

export interface RuntimeReleaseOptions {
  /** packages/runtime of this repository. */
  runtimeDir: string;
  outDir: string;
  version: string;
  /** The release's own Node binary (see fetchNodeBinary), or `system` to use a checked Node >= 20 on the box. */
  node: { kind: 'bundled'; binary: string } | { kind: 'system' };
  /** Written as a comment at the top of the bundle: two builds with different stamps differ in that file only. */
  buildStamp?: string;
}

const PTY_PACKAGES = ['@lydell/node-pty', '@lydell/node-pty-linux-x64'];

/**
 * Builds the box runtime as a release: `chainctl` bundled by esbuild into one file, the native PTY module beside it
 * (it cannot be bundled), a Node binary, and `bin/chainctl`, the launcher every release must have.
 */
export async function buildRuntimeRelease(options: RuntimeReleaseOptions): Promise<LocalRelease> {
  const out = options.outDir;
  await rm(out, { recursive: true, force: true });
  await mkdir(join(out, 'bin'), { recursive: true });
  await build({
    entryPoints: [join(options.runtimeDir, 'src/cli.ts')],
    outfile: join(out, 'lib/chainctl.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: PTY_PACKAGES.flatMap((p) => [p, `${p}/*`]),
    logLevel: 'error',
    legalComments: 'none',
    ...(options.buildStamp
      ? { banner: { js: `/* paddock runtime build ${options.buildStamp.replace(/\*\//g, '')} */` } }
      : {}),
  });
  const requireFromRuntime = createRequire(resolve(options.runtimeDir, 'package.json'));
  for (const name of PTY_PACKAGES) {
    const source = dirname(requireFromRuntime.resolve(`${name}/package.json`));
    await cp(source, join(out, 'node_modules', name), { recursive: true });
  }
  let nodeDescription = 'system node >= 20';
  if (options.node.kind === 'bundled') {
    await mkdir(join(out, 'node/bin'), { recursive: true });
    await copyFile(options.node.binary, join(out, 'node/bin/node'));
    await chmod(join(out, 'node/bin/node'), 0o755);
    nodeDescription = `node ${(await run(options.node.binary, ['--version'])).stdout.trim()} bundled`;
  }
  await writeFile(join(out, 'bin/chainctl'), launcher(options.node.kind), { mode: 0o755 });
  return buildReleaseFromDirectory(out, {
    version: options.version,
    description: `paddock runtime, ${nodeDescription}`,
  });
}

function launcher(node: 'bundled' | 'system'): string {
  const resolveRelease = [
    '#!/bin/sh',
    '# chainctl launcher. Resolves the real release directory (not the `current` symlink), so a running daemon keeps',
    '# its own files while a newer release is switched in.',
    'set -e',
    'release=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd -P)',
  ];
  if (node === 'bundled') {
    return [...resolveRelease, 'exec "$release/node/bin/node" "$release/lib/chainctl.cjs" "$@"', ''].join('\n');
  }
  return [
    ...resolveRelease,
    'node=$(command -v node) || { echo "chainctl: this release uses the system Node, and there is none on PATH" >&2; exit 69; }',
    'major=$("$node" -p \'process.versions.node.split(".")[0]\')',
    '[ "$major" -ge 20 ] || { echo "chainctl: Node >= 20 needed, found $("$node" --version)" >&2; exit 69; }',
    'exec "$node" "$release/lib/chainctl.cjs" "$@"',
    '',
  ].join('\n');
}
