import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { type TempBox, tempBox } from './test-support';

const run = promisify(execFile);
const REPO_ROOT = resolve(import.meta.dirname, '../../..');

// `npx chainctl` in a checkout goes through npm's bin link (node_modules/.bin/chainctl -> bin/chainctl.mjs), the way a
// person types it: no tsx flags of their own.
let box: TempBox | undefined;
afterEach(async () => {
  if (box) await chainctl('daemon', 'stop', '--root', box.root).catch(() => undefined);
  box?.cleanup();
  box = undefined;
});

const ENV = { PATH: process.env.PATH, HOME: process.env.HOME };

/** What `npx chainctl` executes (npm's own start-up is seconds under load, so only one test pays it). */
function chainctl(...args: string[]) {
  return run(resolve(REPO_ROOT, 'node_modules/.bin/chainctl'), args, { cwd: REPO_ROOT, env: ENV });
}

function npx(...args: string[]) {
  return run('npx', ['--no-install', 'chainctl', ...args], { cwd: REPO_ROOT, env: ENV });
}

describe('npx chainctl in a checkout', () => {
  it('links the JS shim, prints its help and validates a chain', async () => {
    const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, '../package.json'), 'utf8'));
    expect(pkg.bin.chainctl).toBe('./bin/chainctl.mjs');
    const help = await npx('--help');
    expect(help.stdout).toContain('chainctl validate FILE');
    box = tempBox();
    const good = box.file('ok.yaml', 'name: ok\nagents:\n  a: { run: echo a }\n  b: { needs: [a], run: cat }\n');
    const valid = JSON.parse((await chainctl('validate', good, '--json')).stdout);
    expect(valid).toMatchObject({ ok: true, chain: 'ok' });
    const bad = box.file('bad.yaml', 'name: bad\nagents:\n  a: { run: cat, stdin: keyboard }\n');
    const refused = await chainctl('validate', bad).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(refused?.code).toBe(2);
    expect(refused?.stderr).toMatch(/bad\.yaml:3:\d+: agents\.a\.stdin: must be "terminal"/);
  });

  it('starts a detached daemon through the shim (it re-runs itself) and runs a chain to the end', async () => {
    box = tempBox();
    await chainctl('daemon', '--detach', '--root', box.root);
    const file = box.file('c.yaml', 'name: c\nagents:\n  a: { run: echo hello }\n  b: { needs: [a], run: cat }\n');
    const done = JSON.parse((await chainctl('run', file, '--wait', '--json', '--root', box.root)).stdout);
    expect(done).toMatchObject({ status: 'succeeded' });
    expect(readFileSync(`${box.root}/runs/${done.run_id}/steps/b/output`, 'utf8')).toBe('hello\n');
  });
});
