// Its own package entry (`@paddock/runtime/test-support`, package.json): the end-to-end tests use it too, and it is
// never part of the library surface nor of the box bundle.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import './register-commands';
import { runCli } from './cli-main';

/** Test helpers (imported by *.test.ts only): temp roots and an in-process chainctl with captured output. */
/** How tests start chainctl as a real separate process (for the daemon, kill -9, serve --stdio). */
export const CLI_PATH = resolve(import.meta.dirname, 'cli.ts');
export const CHAINCTL_ARGV = [
  process.execPath,
  '--import',
  resolve(import.meta.dirname, '../../../node_modules/tsx/dist/loader.mjs'),
  CLI_PATH,
];

export interface TempBox {
  dir: string;
  root: string;
  file: (rel: string, text: string) => string;
  cli: (
    ...argv: string[]
  ) => Promise<{ code: number; out: string; err: string; json: () => unknown; lines: () => unknown[] }>;
  cleanup: () => void;
}

export function tempBox(): TempBox {
  const dir = mkdtempSync(join(tmpdir(), 'chainctl-test-'));
  const root = join(dir, 'root');
  return {
    dir,
    root,
    file: (rel, text) => {
      const path = join(dir, rel);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
      return path;
    },
    cli: async (...argv) => {
      let out = '';
      let err = '';
      const code = await runCli([...argv, '--root', root], {
        out: (t) => {
          out += t;
        },
        err: (t) => {
          err += t;
        },
        env: { PATH: process.env.PATH },
        cwd: dir,
        selfArgv: CHAINCTL_ARGV,
      });
      return {
        code,
        out,
        err,
        json: () => JSON.parse(out),
        lines: () =>
          out
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l)),
      };
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
