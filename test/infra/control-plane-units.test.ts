import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATE_CONFIG_KEYS } from '@paddock/db';
import { adminQuery, createOwnedDatabase } from '@paddock/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { API_CONFIG_KEYS, loadApiConfig } from '../../apps/api/src/config';
import { loadWorkerConfig, WORKER_CONFIG_KEYS } from '../../apps/worker/src/config';
import {
  CONTROL_PLANE_INFRA,
  execStart,
  INSTALL_DIR,
  REPO_ROOT,
  readUnit,
  setting,
  templateKeys,
  UNIT_DIR,
  unitNames,
} from './systemd-units';

// The control plane's own systemd units (infra/control-plane/systemd) and env file templates, as docs/production.md
// installs them: systemd's own verifier and its security analysis, the hardening each unit must keep, the env
// templates against the apps' config schemas, and the migration unit's command run for real on a fresh database.

const LONG_RUNNING = ['paddock-api.service', 'paddock-worker@.service'];
const ONESHOT = ['paddock-migrate.service', 'paddock-reencrypt.service'];

describe('control-plane systemd units', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'paddock-units-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('ships the API, worker, migration and re-encryption units', () => {
    expect(unitNames().sort()).toEqual([...LONG_RUNNING, ...ONESHOT].sort());
  });

  it('passes systemd-analyze verify with no diagnostics at all', () => {
    // systemd's verifier checks keys, values, the dependencies' unit files and that ExecStart's binary exists.
    // Copies, with the node binary of this machine where it is not /usr/bin/node (the path the guide installs).
    for (const name of unitNames()) {
      const text = readFileSync(join(UNIT_DIR, name), 'utf8');
      writeFileSync(join(scratch, name), text.replaceAll('/usr/bin/node ', `${process.execPath} `));
    }
    const result = spawnSync('systemd-analyze', ['verify', ...unitNames().map((name) => join(scratch, name))], {
      encoding: 'utf8',
    });
    expect(result.error, 'systemd-analyze is needed (Debian: apt-get install systemd)').toBeUndefined();
    expect({ status: result.status, diagnostics: `${result.stdout}${result.stderr}`.trim() }).toEqual({
      status: 0,
      diagnostics: '',
    });
  });

  it('scores as hardened in systemd-analyze security (exposure at most 2.0 of 10)', () => {
    for (const name of unitNames()) {
      // The analysis wants an instance of a template.
      const instance = name.replace('@.service', '@1.service');
      if (instance !== name) copyFileSync(join(scratch, name), join(scratch, instance));
      const result = spawnSync('systemd-analyze', ['security', '--offline=yes', join(scratch, instance)], {
        encoding: 'utf8',
      });
      const exposure = /Overall exposure level for \S+: ([\d.]+)/.exec(`${result.stdout}${result.stderr}`)?.[1];
      expect({ name, exposure: Number(exposure) }).toEqual({ name, exposure: expect.any(Number) });
      expect(Number(exposure), name).toBeLessThanOrEqual(2);
    }
  });

  it('runs every unit as the dedicated user, with no privileges and a read-only system', () => {
    for (const name of unitNames()) {
      const unit = readUnit(name);
      const service = (key: string) => setting(unit, 'Service', key);
      expect(
        {
          name,
          user: service('User'),
          group: service('Group'),
          noNewPrivileges: service('NoNewPrivileges'),
          protectSystem: service('ProtectSystem'),
          protectHome: service('ProtectHome'),
          privateTmp: service('PrivateTmp'),
          capabilities: service('CapabilityBoundingSet'),
          workingDirectory: service('WorkingDirectory'),
        },
        name,
      ).toEqual({
        name,
        user: 'paddock-control',
        group: 'paddock-control',
        noNewPrivileges: 'yes',
        protectSystem: 'strict',
        protectHome: 'yes',
        privateTmp: 'yes',
        capabilities: '',
        workingDirectory: INSTALL_DIR,
      });
      // The program each unit starts is part of this checkout.
      const [node, importFlag, loader, script] = execStart(unit);
      expect([node, importFlag, loader]).toEqual(['/usr/bin/node', '--import', 'tsx']);
      expect(existsSync(join(REPO_ROOT, script ?? '')), `${name}: ${script}`).toBe(true);
    }
  });

  it('restarts the API and workers forever, except on a configuration error, and lets them drain first', () => {
    const shutdownDefaults: Record<string, number> = {
      'paddock-api.service': loadApiConfig(sampleEnv()).SHUTDOWN_TIMEOUT_MS,
      'paddock-worker@.service': loadWorkerConfig(sampleEnv()).SHUTDOWN_TIMEOUT_MS,
    };
    for (const name of LONG_RUNNING) {
      const unit = readUnit(name);
      expect(setting(unit, 'Service', 'Restart'), name).toBe('always');
      expect(setting(unit, 'Unit', 'StartLimitIntervalSec'), name).toBe('0');
      // exitOnConfigError's EX_CONFIG: a bad variable does not crash-loop.
      expect(setting(unit, 'Service', 'RestartPreventExitStatus'), name).toBe('78');
      expect(setting(unit, 'Service', 'KillMode'), name).toBe('mixed');
      expect(Number(setting(unit, 'Service', 'TimeoutStopSec')) * 1000, name).toBeGreaterThan(
        shutdownDefaults[name] ?? Number.POSITIVE_INFINITY,
      );
      expect(setting(unit, 'Unit', 'Requires'), name).toBe('paddock-migrate.service');
      expect(setting(unit, 'Service', 'EnvironmentFile'), name).toBe('/etc/paddock-control/paddock.env');
    }
    // Each worker process has its own id whatever the env file says.
    expect(setting(readUnit('paddock-worker@.service'), 'Service', 'Environment')).toBe(
      'HOME=/var/lib/paddock-control',
    );
    expect(readUnit('paddock-worker@.service').get('Service')?.get('Environment')).toContain('WORKER_ID=%H:%i');
  });
});

/** The template's values, with the one value it leaves empty (the master key) filled in. */
function sampleEnv(): Record<string, string> {
  const { set } = templateKeys(readFileSync(join(CONTROL_PLANE_INFRA, 'paddock.env.example'), 'utf8'));
  return { ...Object.fromEntries(set), PADDOCK_MASTER_KEY: randomBytes(32).toString('base64') };
}

describe('control-plane env file templates', () => {
  it('paddock.env.example documents exactly the variables the API and the workers read, once each', () => {
    const { documented } = templateKeys(readFileSync(join(CONTROL_PLANE_INFRA, 'paddock.env.example'), 'utf8'));
    expect(documented.length).toBe(new Set(documented).size);
    expect([...documented].sort()).toEqual([...new Set([...API_CONFIG_KEYS, ...WORKER_CONFIG_KEYS])].sort());
  });

  it('migrate.env.example documents exactly what the migration runner reads', () => {
    const { documented, set } = templateKeys(readFileSync(join(CONTROL_PLANE_INFRA, 'migrate.env.example'), 'utf8'));
    expect([...documented].sort()).toEqual([...MIGRATE_CONFIG_KEYS].sort());
    expect([...set.keys()]).toEqual(['DATABASE_OWNER_URL']);
  });

  it("parses with each app's schema once the master key is filled in, production-safe", () => {
    const api = loadApiConfig(sampleEnv());
    expect({ host: api.HOST, env: api.NODE_ENV, proxies: api.TRUSTED_PROXIES }).toEqual({
      host: '127.0.0.1',
      env: 'production',
      proxies: ['127.0.0.1'],
    });
    const worker = loadWorkerConfig(sampleEnv());
    expect({ local: worker.PADDOCK_ALLOW_LOCAL_BOXES, node: worker.RELEASE_NODE }).toEqual({
      local: false,
      node: 'bundled',
    });
    // Set by the unit per process: the env file would override it for every worker alike.
    expect(sampleEnv().WORKER_ID).toBeUndefined();
    expect(() => loadApiConfig({ ...sampleEnv(), PADDOCK_MASTER_KEY: '' })).toThrow(/PADDOCK_MASTER_KEY/);
  });
});

describe('paddock-migrate.service', () => {
  it("migrates an empty database with the unit's own command, as the owner role, and a second run applies nothing", async () => {
    const name = `paddock_units_${randomBytes(5).toString('hex')}`;
    const urls = await createOwnedDatabase(name);
    try {
      const [, ...args] = execStart(readUnit('paddock-migrate.service'));
      const run = (extra: string[]) =>
        execFileSync(process.execPath, [...args, ...extra], {
          cwd: REPO_ROOT,
          env: { PATH: process.env.PATH ?? '', DATABASE_OWNER_URL: urls.ownerUrl },
          encoding: 'utf8',
        });
      expect(run([])).toMatch(/migrate: applied \d+/);
      expect(run([])).toMatch(/migrate: database is up to date/);
      expect(run(['--status'])).toMatch(/applied: \d+/);
    } finally {
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  });
});

describe('docs/production.md', () => {
  const guide = readFileSync(join(REPO_ROOT, 'docs/production.md'), 'utf8');
  const scripts = (
    JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  ).scripts;

  it('names only npm scripts that exist, and the units run the same programs as those scripts', () => {
    const named = [...guide.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1] ?? '');
    expect(named).toEqual(expect.arrayContaining(['migrate', 'vault:reencrypt']));
    for (const name of named) expect(scripts[name], `npm run ${name}`).toBeDefined();
    // `tsx <file>` in package.json, `node --import tsx <file>` in the unit: the same program.
    const program = (script: string | undefined) => script?.replace(/^tsx /, '');
    expect(execStart(readUnit('paddock-migrate.service')).at(-1)).toBe(program(scripts.migrate));
    expect(execStart(readUnit('paddock-reencrypt.service')).at(-1)).toBe(program(scripts['vault:reencrypt']));
  });

  it('names only units that infra/control-plane ships, and every one of them', () => {
    const named = new Set(
      [...guide.matchAll(/paddock-[a-z]+(@[^ .]*)?\.service/g)].map((m) =>
        m[0].replace(/@[^.]*\.service$/, '@.service'),
      ),
    );
    expect([...named].sort()).toEqual(unitNames().sort());
  });

  it('points the services at the env files the templates describe', () => {
    for (const file of ['/etc/paddock-control/paddock.env', '/etc/paddock-control/migrate.env']) {
      expect(guide).toContain(file);
    }
    expect(setting(readUnit('paddock-migrate.service'), 'Service', 'EnvironmentFile')).toBe(
      '/etc/paddock-control/migrate.env',
    );
  });
});
