import { FleetError } from '../errors';

/**
 * Where Paddock lives on a box. Code is root-owned and read-only to the runtime; state belongs to the runtime user.
 *   installDir/store/<sha256>[.x]   content store, one file per distinct content (hard-linked into releases)
 *   installDir/releases/<version>/  assembled releases, the last five kept
 *   installDir/current              symlink to the active release, switched by rename
 *   installDir/incoming/<deploy>/   uploads waiting to be verified
 *   installDir/locks/deploy.lock    flock: one deploy at a time
 *   installDir/bin/paddock-service  start/stop/restart/health, the same with or without systemd
 *   installDir/bootstrap.log        root's record of each bootstrap (root-owned, never in the runtime's log dir)
 *   dataDir                         the runtime's root (CHAIN_ROOT), secrets.env in it, 0700 runtime user
 *   logDir                          the runtime's logs, 0750 runtime user
 * The runtime user's directories sit in root-owned parents and hold none of root's: root creates and fixes them by a
 * path the user cannot swap, and never opens anything inside them (see runtime-user.ts).
 */
export interface BoxLayout {
  installDir: string;
  dataDir: string;
  configDir: string;
  logDir: string;
  runtimeUser: string;
}

export const DEFAULT_BOX_LAYOUT: BoxLayout = {
  installDir: '/opt/paddock',
  dataDir: '/var/lib/paddock',
  configDir: '/etc/paddock',
  logDir: '/var/log/paddock',
  runtimeUser: 'paddock',
};

const SAFE_DIR = /^\/(?:[A-Za-z0-9._-]+\/)*[A-Za-z0-9._-]+$/;
const SAFE_USER = /^[a-z_][a-z0-9_-]{0,31}$/;

/** Layout values end up in unit files and config read by shells: only plain absolute paths and user names pass. */
export function checkLayout(layout: BoxLayout): BoxLayout {
  for (const key of ['installDir', 'dataDir', 'configDir', 'logDir'] as const) {
    const value = layout[key];
    if (!SAFE_DIR.test(value) || value.split('/').some((s) => s === '..' || s === '.')) {
      throw new FleetError(
        'invalid_input',
        `Box layout ${key} must be a plain absolute path, got ${JSON.stringify(value)}`,
      );
    }
  }
  // A root-owned directory inside one of the runtime user's could be swapped for a symlink by that user.
  for (const owned of ['dataDir', 'logDir'] as const) {
    for (const key of ['installDir', 'dataDir', 'configDir', 'logDir'] as const) {
      if (key !== owned && `${layout[key]}/`.startsWith(`${layout[owned]}/`)) {
        throw new FleetError('invalid_input', `Box layout ${key} must not lie inside the runtime user's ${owned}`);
      }
    }
  }
  if (!SAFE_USER.test(layout.runtimeUser)) {
    throw new FleetError('invalid_input', `Runtime user name not allowed: ${JSON.stringify(layout.runtimeUser)}`);
  }
  return layout;
}

export function layoutPaths(layout: BoxLayout) {
  const i = layout.installDir;
  return {
    store: `${i}/store`,
    releases: `${i}/releases`,
    current: `${i}/current`,
    incoming: `${i}/incoming`,
    locks: `${i}/locks`,
    history: `${i}/history`,
    service: `${i}/bin/paddock-service`,
    bootstrapLog: `${i}/bootstrap.log`,
    runtimeEnv: `${layout.configDir}/runtime.env`,
    secrets: `${layout.dataDir}/secrets.env`,
  };
}
