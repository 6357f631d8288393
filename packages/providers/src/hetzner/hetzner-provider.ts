import { describePublicKey } from '@paddock/fleet';
import {
  type BoxProvider,
  type BoxSpec,
  type BoxStatus,
  checkBoxName,
  type ProvidedBox,
  ProviderError,
} from '../box-provider';
import { renderCloudInit } from '../cloud-init';
import type { HetznerClient } from './hetzner-client';
import type { HetznerServer, HetznerServerStatus } from './hetzner-types';

export interface HetznerPlacement {
  serverType: string;
  image: string;
  location?: string;
}

/** Marks the servers Paddock made, so `list` never reports (or a cleanup never touches) anyone else's. */
const MANAGED_LABEL = 'paddock-managed';
const LABEL_KEY =
  /^(?:[a-z0-9A-Z](?:[-a-z0-9A-Z_.]{0,61}[a-z0-9A-Z])?\/)?[a-z0-9A-Z](?:[-a-z0-9A-Z_.]{0,61}[a-z0-9A-Z])?$/;
const LABEL_VALUE = /^(?:[a-z0-9A-Z](?:[-a-z0-9A-Z_.]{0,61}[a-z0-9A-Z])?)?$/;

const STATUS: Record<HetznerServerStatus, BoxStatus> = {
  initializing: 'provisioning',
  starting: 'provisioning',
  running: 'running',
  stopping: 'stopped',
  off: 'stopped',
  deleting: 'deleting',
  migrating: 'running',
  rebuilding: 'provisioning',
  unknown: 'unknown',
};

/**
 * Boxes on Hetzner Cloud. `create` uploads the login key only when its fingerprint is not registered yet, creates the
 * server with cloud-init user data that installs the pre-generated host key, and waits for the create action (and the
 * actions that follow it) to succeed.
 */
export class HetznerProvider implements BoxProvider<BoxSpec & { placement?: Partial<HetznerPlacement> }> {
  readonly kind = 'hetzner' as const;
  readonly servesUserData: boolean;

  constructor(
    private readonly client: HetznerClient,
    private readonly defaults: HetznerPlacement,
    private readonly options: {
      actionTimeoutMs?: number;
      /**
       * Real Hetzner servers serve their user data to local users (default true). False only for a stand-in of the
       * API on this machine whose servers are local test boxes: they share this machine's network (the guard would
       * load into this machine's firewall) and run without systemd.
       */
      servesUserData?: boolean;
    } = {},
  ) {
    this.servesUserData = options.servesUserData ?? true;
  }

  async create(spec: BoxSpec & { placement?: Partial<HetznerPlacement> }): Promise<ProvidedBox> {
    const name = checkBoxName(spec.name);
    const labels = checkLabels({ ...spec.labels, [MANAGED_LABEL]: 'true' });
    const keyId = await this.ensureSshKey(spec);
    const placement = { ...this.defaults, ...spec.placement };
    const created = await this.client.createServer({
      name,
      server_type: placement.serverType,
      image: placement.image,
      ...(placement.location ? { location: placement.location } : {}),
      ssh_keys: [keyId],
      user_data: renderCloudInit(spec.hostKey),
      labels,
      start_after_create: true,
    });
    for (const action of [created.action, ...created.next_actions]) {
      await this.client.waitForAction(action, this.options.actionTimeoutMs);
    }
    const server = await this.client.getServer(created.server.id);
    if (!server)
      throw new ProviderError('api_error', `Hetzner server ${created.server.id} vanished right after it was created`);
    return describe(server, spec.hostKey.fingerprint);
  }

  async status(providerId: string): Promise<ProvidedBox> {
    const server = await this.client.getServer(serverId(providerId));
    if (!server) return goneBox(providerId);
    return describe(server, null);
  }

  async destroy(providerId: string): Promise<void> {
    const action = await this.client.deleteServer(serverId(providerId));
    if (action) await this.client.waitForAction(action, this.options.actionTimeoutMs);
  }

  async list(): Promise<ProvidedBox[]> {
    return (await this.client.listServers(`${MANAGED_LABEL}=true`)).map((s) => describe(s, null));
  }

  private async ensureSshKey(spec: BoxSpec): Promise<number> {
    const { md5Fingerprint } = describePublicKey(spec.loginPublicKey);
    const existing = await this.client.findSshKeyByFingerprint(md5Fingerprint);
    if (existing) return existing.id;
    const created = await this.client.createSshKey({
      name: `paddock-${md5Fingerprint.replaceAll(':', '').slice(0, 16)}`,
      public_key: spec.loginPublicKey,
      labels: { [MANAGED_LABEL]: 'true' },
    });
    return created.id;
  }
}

function describe(server: HetznerServer, pinnedFingerprint: string | null): ProvidedBox {
  return {
    provider: 'hetzner',
    providerId: String(server.id),
    name: server.name,
    status: STATUS[server.status] ?? 'unknown',
    host: server.public_net.ipv4?.ip ?? server.public_net.ipv6?.ip ?? null,
    port: 22,
    username: 'root',
    hostKeyFingerprint: pinnedFingerprint,
    labels: server.labels,
  };
}

function goneBox(providerId: string): ProvidedBox {
  return {
    provider: 'hetzner',
    providerId,
    name: '',
    status: 'gone',
    host: null,
    port: 22,
    username: 'root',
    hostKeyFingerprint: null,
    labels: {},
  };
}

function serverId(providerId: string): number {
  const id = Number(providerId);
  if (!Number.isSafeInteger(id) || id <= 0)
    throw new ProviderError('invalid_input', `Not a Hetzner server id: ${JSON.stringify(providerId)}`);
  return id;
}

function checkLabels(labels: Record<string, string>): Record<string, string> {
  for (const [key, value] of Object.entries(labels)) {
    if (!LABEL_KEY.test(key) || !LABEL_VALUE.test(value)) {
      throw new ProviderError(
        'invalid_input',
        `Label ${JSON.stringify(key)}=${JSON.stringify(value)} does not fit Hetzner's label rules`,
      );
    }
  }
  return labels;
}
