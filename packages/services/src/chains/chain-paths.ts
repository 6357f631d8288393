import { posix } from 'node:path';
import { AppError } from '@paddock/contracts';

/** Chain names as the schema allows them (no "/", no leading dot): safe as one directory name once quoted. */
const CHAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$/;
const CONTENT_HASH = /^[0-9a-f]{64}$/;
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Control characters (newlines included) make names that break tools and logs; nothing legitimate needs them. */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
const MAX_PATH_BYTES = 512;
const MAX_SEGMENT_BYTES = 255;

/** Where a chain version lives under the runtime's root: `chains/<chain-name>/<content-hash>`. */
export function chainVersionDir(chainName: string, contentHash: string): string {
  if (!CHAIN_NAME.test(chainName)) throw new AppError('unprocessable', 'The chain name is not usable as a directory.');
  if (!CONTENT_HASH.test(contentHash)) throw new AppError('unprocessable', 'The content hash is not a sha256.');
  return `chains/${chainName}/${contentHash}`;
}

/** The chain file's path relative to the runtime root (what `run {file}` is given from a serve started there). */
export function chainFileOnBox(chainName: string, contentHash: string, fileName: string): string {
  if (!FILE_NAME.test(fileName)) throw new AppError('unprocessable', 'The chain file name is not a plain file name.');
  return `${chainVersionDir(chainName, contentHash)}/${fileName}`;
}

/**
 * Why a referenced path cannot be written next to the chain file on a box, or undefined when it can. The runtime
 * reads `join(chainDir, path)`, so the file is written at the normalized path; a path is refused when it would land
 * outside the chain's directory, on the chain file itself, on a directory, or holds bytes tools cannot carry.
 */
export function chainFileProblem(path: string, chainFileName: string): string | undefined {
  if (path.length === 0) return 'is empty';
  if (hasControl(path)) return 'contains a control character (newline, tab, NUL, ...)';
  if (path.includes('\\')) return 'contains a backslash; use "/" between directories';
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) return `is longer than ${MAX_PATH_BYTES} bytes`;
  if (path.startsWith('/')) return 'is absolute; paths are relative to the chain file';
  const normal = posix.normalize(path);
  const segments = normal.split('/');
  if (normal === '.' || normal.endsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    return 'does not name a file inside the chain directory';
  }
  if (segments.some((s) => Buffer.byteLength(s) > MAX_SEGMENT_BYTES)) return 'has a name part over 255 bytes';
  if (normal === chainFileName) return 'is the chain file itself';
  return undefined;
}

/**
 * The files of a chain version as they are written on a box: normalized relative paths with their content. Two
 * references to one file (`a.md`, `./a.md`) are one file; a file that is also needed as a directory is refused.
 */
export function filesOnBox(files: Record<string, string>, chainFileName: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [path, content] of Object.entries(files)) {
    const problem = chainFileProblem(path, chainFileName);
    if (problem) throw new AppError('unprocessable', `File ${JSON.stringify(path)} ${problem}.`);
    const normal = posix.normalize(path);
    const seen = out.get(normal);
    if (seen !== undefined && seen !== content) {
      throw new AppError('unprocessable', `Files ${JSON.stringify(path)} and another name the same file.`);
    }
    out.set(normal, content);
  }
  const conflict = directoryConflict([...out.keys(), chainFileName]);
  if (conflict) throw new AppError('unprocessable', `File ${JSON.stringify(conflict)} is also used as a directory.`);
  return out;
}

/** A path that another path needs as one of its directories, if any. */
export function directoryConflict(paths: readonly string[]): string | undefined {
  const files = new Set(paths);
  for (const path of paths) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (files.has(dir)) return dir;
    }
  }
  return undefined;
}
