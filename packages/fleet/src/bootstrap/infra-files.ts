import { readFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { join } from 'node:path';
import type { BoxLayout } from '../deploy/box-layout';
import { FleetError } from '../errors';

/** What goes onto boxes lives in the repository's infra/ directory, where operators can read and review it. */
const INFRA_DIR = join(import.meta.dirname, '../../../../infra');

export interface BoxInfraFiles {
  serviceScript: string;
  systemdUnit: string;
  sshdHardening: string;
  /** nftables rules that keep non-root users away from the cloud metadata service, and the unit that loads them. */
  metadataGuardRules: string;
  metadataGuardUnit: string;
  /** The address the guard closes, as `nft list` prints it back (the bootstrap checks the kernel for it). */
  metadataServiceAddress: string;
}

/** Where cloud providers (Hetzner among them) serve instance metadata and user data. */
export const METADATA_SERVICE_ADDRESS = '169.254.169.254';

// The admin user goes into sshd's AllowUsers: a plain name only, no patterns (`*`, `?`, `user@host`, `!`).
const ADMIN_USER = /^[a-z_][a-z0-9_-]{0,31}$/;

export interface InfraFileOptions {
  drainTimeoutMs: number;
  /** The account the control plane logs in as (the box target's username): the only one sshd lets in. */
  adminUser: string;
  /**
   * The address the metadata guard refuses to non-root users: the product always uses the default; the guard's
   * test points it at a loopback address inside its own network namespace, so it never touches a real one.
   */
  metadataServiceAddress?: string;
}

/** Reads the box files and fills their placeholders from the (already checked) layout. */
export function renderInfraFiles(layout: BoxLayout, options: InfraFileOptions): BoxInfraFiles {
  if (!ADMIN_USER.test(options.adminUser)) {
    throw new FleetError(
      'invalid_input',
      `SSH login user not allowed: ${JSON.stringify(options.adminUser.slice(0, 40))}`,
    );
  }
  // The runtime user runs tenant code: if the control plane logged in as it, the tenant would hold its key's seat.
  if (options.adminUser === layout.runtimeUser) {
    throw new FleetError('invalid_input', `The control plane cannot log in as the runtime user ${layout.runtimeUser}`);
  }
  const metadataServiceAddress = options.metadataServiceAddress ?? METADATA_SERVICE_ADDRESS;
  // One plain IPv4 address: it lands in an nftables rule that root loads.
  if (!isIPv4(metadataServiceAddress)) {
    throw new FleetError(
      'invalid_input',
      `Metadata service address must be an IPv4 address: ${JSON.stringify(metadataServiceAddress.slice(0, 40))}`,
    );
  }
  const values: Record<string, string> = {
    ADMIN_USER: options.adminUser,
    INSTALL_DIR: layout.installDir,
    CONFIG_DIR: layout.configDir,
    DATA_DIR: layout.dataDir,
    LOG_DIR: layout.logDir,
    METADATA_ADDRESS: metadataServiceAddress,
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
    sshdHardening: fill(readFileSync(join(INFRA_DIR, 'box/sshd-hardening.conf'), 'utf8')),
    metadataGuardRules: fill(readFileSync(join(INFRA_DIR, 'box/metadata-guard.nft'), 'utf8')),
    metadataGuardUnit: fill(readFileSync(join(INFRA_DIR, 'systemd/paddock-metadata-guard.service'), 'utf8')),
    metadataServiceAddress,
  };
}
