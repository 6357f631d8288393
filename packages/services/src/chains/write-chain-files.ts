import { posix } from 'node:path';
import { type BoxLayout, checkLayout, joinCommands, ShellCommand, type SshConnection, sh } from '@paddock/fleet';
import { chainVersionDir } from './chain-paths';
import { runScriptAsRuntime } from './run-as-runtime';

export interface ChainFilesToWrite {
  chainName: string;
  contentHash: string;
  /** The chain file's name and text. */
  fileName: string;
  definition: string;
  /** Normalized relative paths (see `filesOnBox`) with their text. */
  files: ReadonlyMap<string, string>;
}

export type WriteOutcome = 'written' | 'unchanged' | 'replaced';

// A base64 body never has a line of three characters (its lines are multiples of four), so its here-document's
// `EOF` cannot come early.
/**
 * Writes a chain version into `<root>/chains/<name>/<hash>/` on a box: assembled in a fresh temporary directory next
 * to it and renamed into place, so a reader sees the whole version or none of it. Writing the same version again
 * finds it in place (unchanged); a directory whose files differ (edited on the box) is replaced. Paths were
 * validated before (`filesOnBox`); every one is quoted here and prefixed with the temporary directory.
 */
export async function writeChainFiles(
  connection: SshConnection,
  layout: BoxLayout,
  chain: ChainFilesToWrite,
): Promise<WriteOutcome> {
  const root = checkLayout(layout).dataDir;
  const versionDir = chainVersionDir(chain.chainName, chain.contentHash);
  const chainDir = `${root}/${posix.dirname(versionDir)}`;
  const final = `${root}/${versionDir}`;
  const entries: Array<[string, string]> = [[chain.fileName, chain.definition], ...chain.files];
  const dirs = [...new Set(entries.map(([path]) => posix.dirname(path)).filter((dir) => dir !== '.'))].sort();
  const lines: ShellCommand[] = [
    sh`set -eu`,
    sh`umask 022`,
    sh`test -d ${root} || { echo "the runtime root ${root} does not exist" >&2; exit 3; }`,
    sh`mkdir -p -- ${chainDir}`,
    sh`tmp=$(mktemp -d ${`${chainDir}/.incoming-XXXXXXXX`})`,
    sh`trap 'rm -rf -- "$tmp"' EXIT`,
    ...dirs.map((dir) => sh`mkdir -p -- "$tmp"/${dir}`),
    ...entries.map(([path, text]) => fileWrite(path, text)),
    sh`chmod 0755 "$tmp"`,
    sh`if [ -d ${final} ]; then`,
    sh`  if diff -r -q -- "$tmp" ${final} >/dev/null 2>&1; then echo unchanged; exit 0; fi`,
    sh`  old=$(mktemp -d ${`${chainDir}/.replaced-XXXXXXXX`})`,
    sh`  mv -T -- ${final} "$old/version"`,
    sh`  mv -T -- "$tmp" ${final}`,
    sh`  rm -rf -- "$old"`,
    sh`  echo replaced`,
    sh`else`,
    sh`  mv -T -- "$tmp" ${final}`,
    sh`  echo written`,
    sh`fi`,
  ];
  const result = await runScriptAsRuntime(connection, layout, joinCommands(lines), {
    label: `write chain ${chain.chainName} ${chain.contentHash.slice(0, 12)}`,
    timeoutMs: 120_000,
  });
  const outcome = result.stdout.trim().split('\n').at(-1);
  if (outcome === 'written' || outcome === 'unchanged' || outcome === 'replaced') return outcome;
  throw new Error(`writing chain files on box ${connection.target.id} ended without an outcome`);
}

function fileWrite(path: string, text: string): ShellCommand {
  const body = (
    Buffer.from(text, 'utf8')
      .toString('base64')
      .match(/.{1,76}/g) ?? []
  ).join('\n');
  // Embedded as is: only the base64 alphabet, checked, so nothing in it means anything to the shell.
  if (!/^[A-Za-z0-9+/=\n]*$/.test(body)) throw new Error('base64 produced an unexpected character');
  return joinCommands([sh`base64 -d > "$tmp"/${path} <<'EOF'`, ShellCommand.fromTrusted(body), sh`EOF`]);
}
