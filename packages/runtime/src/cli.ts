#!/usr/bin/env node
import './register-commands';
import { runCli } from './cli-main';

// The `chainctl` entry (package.json bin; esbuild bundles from here). No top-level await, so it bundles as CJS too.
runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
  selfArgv: [process.execPath, ...process.execArgv, process.argv[1] as string],
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`chainctl: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 70;
  },
);
