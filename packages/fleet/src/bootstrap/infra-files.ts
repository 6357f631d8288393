import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BoxLayout } from '../deploy/box-layout';

/** What goes onto boxes lives in the repository's infra/ directory, where operators can read and review it. */
const INFRA_DIR = join(import.meta.dirname, '../../../../infra');

export interface BoxInfraFiles {
  serviceScript: string;
  systemdUnit: string;
  sshdHardening: string;
}

/** Reads the box files and fills their placeholders from the (already checked) layout. */
export function renderInfraFiles(layout: BoxLayout, options: { drainTimeoutMs: number }): BoxInfraFiles {
  const values: Record<string, string> = {
    INSTALL_DIR: layout.installDir,
    CONFIG_DIR: layout.configDir,
    DATA_DIR: layout.dataDir,
    LOG_DIR: layout.logDir,
    RUNTIME_USER: layout.runtimeUser,
    // systemd waits for the drain, plus time to stop what is left.
    STOP_TIMEOUT_SEC: String(Math.ceil(options.drainTimeoutMs / 1000) + 30),
  };
  const fill = (text: string) =>
    text.replace(/@([A-Z_]+)@/g, (match, name: string) => {
      const value = values[name];
      if (value === undefined) throw new Error(`infra file uses unknown placeholder ${match}`);
      return value;
    });
  return {
    serviceScript: fill(readFileSync(join(INFRA_DIR, 'box/paddock-service.sh'), 'utf8')),
    systemdUnit: fill(readFileSync(join(INFRA_DIR, 'systemd/paddock-runtime.service'), 'utf8')),
    sshdHardening: readFileSync(join(INFRA_DIR, 'box/sshd-hardening.conf'), 'utf8'),
  };
}
