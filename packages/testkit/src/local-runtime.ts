import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { localProcessTransport, type OpenTransport } from '@paddock/fleet';

const run = promisify(execFile);

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');
export const TSX_LOADER = join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs');
export const CLI_PATH = join(REPO_ROOT, 'packages/runtime/src/cli.ts');
/** chainctl as a real process, straight from this checkout (no release build needed). */
export const CHAINCTL = [process.execPath, '--import', TSX_LOADER, CLI_PATH] as const;

const BASE_ENV = { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', HOME: tmpdir() };

/**
 * A box runtime on this machine: a state root in a temp directory, a real `chainctl daemon` process and real
 * `chainctl serve --stdio` processes. What a test box runs over SSH, minus SSH.
 */
export interface LocalRuntime {
  dir: string;
  root: string;
  /** Writes a file under the runtime's working directory and returns its path. */
  file(rel: string, text: string): string;
  chainctl(...args: string[]): Promise<{ stdout: string; stderr: string }>;
  startDaemon(): Promise<void>;
  stopDaemon(): Promise<void>;
  /** Opens a fresh `chainctl serve --stdio` process per call (what a reopened channel does). */
  serve: OpenTransport;
  cleanup(): Promise<void>;
}

export function createLocalRuntime(prefix = 'collect-box-'): LocalRuntime {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const root = join(dir, 'root');
  mkdirSync(root, { recursive: true });
  const chainctl = async (...args: string[]) => {
    const [exe, ...rest] = CHAINCTL;
    return run(exe, [...rest, ...args, '--root', root], { cwd: dir, env: BASE_ENV, maxBuffer: 64 * 1024 * 1024 });
  };
  return {
    dir,
    root,
    file(rel, text) {
      const path = join(dir, rel);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
      return path;
    },
    chainctl,
    startDaemon: async () => {
      await chainctl('daemon', '--detach', '--rescan-ms', '200', '--drain-timeout', '2000');
    },
    stopDaemon: async () => {
      await chainctl('daemon', 'stop', '--timeout', '10000').catch(() => undefined);
    },
    serve: localProcessTransport([...CHAINCTL, 'serve', '--stdio', '--root', root], { cwd: dir, env: BASE_ENV }),
    cleanup: async () => {
      await chainctl('daemon', 'stop', '--timeout', '10000').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
