import { isFingerprint, quote } from '@paddock/fleet';
import { type BoxProvider, type BoxSpec, checkBoxName, type ProvidedBox, ProviderError } from '../box-provider';
import { probeSsh } from './probe-ssh';

/** A host the operator already runs. Its host key is pinned when the operator knows it, else learned on first use. */
export interface ByoSpec extends Omit<BoxSpec, 'hostKey'> {
  host: string;
  port?: number;
  username?: string;
  hostKeyFingerprint?: string;
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6 = /^[0-9A-Fa-f:]{2,39}$/;
const USERNAME = /^[a-z_][a-z0-9_-]{0,31}$/;

/**
 * Bring-your-own hosts. Paddock did not make them and does not destroy them: `destroy` only forgets (the service
 * layer drops its row). The registered hosts come from the service layer, which keeps them in Postgres.
 */
export class ByoProvider implements BoxProvider<ByoSpec> {
  readonly kind = 'byo' as const;

  constructor(
    private readonly registered: () => Promise<ProvidedBox[]>,
    private readonly options: { probeTimeoutMs?: number } = {},
  ) {}

  async create(spec: ByoSpec): Promise<ProvidedBox> {
    const name = checkBoxName(spec.name);
    const port = spec.port ?? 22;
    const username = spec.username ?? 'root';
    if (!HOSTNAME.test(spec.host) && !IPV6.test(spec.host)) {
      throw new ProviderError(
        'invalid_input',
        `Not a host name or IP address: ${JSON.stringify(spec.host.slice(0, 100))}`,
      );
    }
    if (!Number.isInteger(port) || port < 1 || port > 65_535)
      throw new ProviderError('invalid_input', `Port out of range: ${port}`);
    if (!USERNAME.test(username))
      throw new ProviderError('invalid_input', `Not a user name: ${JSON.stringify(username.slice(0, 40))}`);
    if (spec.hostKeyFingerprint !== undefined && !isFingerprint(spec.hostKeyFingerprint)) {
      throw new ProviderError(
        'invalid_input',
        'Host key fingerprint must look like SHA256:<43 base64 characters>, as ssh-keygen -l prints it',
      );
    }
    const reachable = await probeSsh(spec.host, port, this.options.probeTimeoutMs ?? 5_000);
    return {
      provider: 'byo',
      providerId: `${spec.host}:${port}`,
      name,
      status: reachable ? 'running' : 'unreachable',
      host: spec.host,
      port,
      username,
      hostKeyFingerprint: spec.hostKeyFingerprint ?? null,
      labels: spec.labels ?? {},
    };
  }

  async status(providerId: string): Promise<ProvidedBox> {
    const known = (await this.registered()).find((b) => b.providerId === providerId);
    if (!known?.host) {
      throw new ProviderError('not_found', `No bring-your-own host ${JSON.stringify(providerId)} is registered`);
    }
    const reachable = await probeSsh(known.host, known.port, this.options.probeTimeoutMs ?? 5_000);
    return { ...known, status: reachable ? 'running' : 'unreachable' };
  }

  async destroy(_providerId: string): Promise<void> {
    // The operator's machine is not ours to delete; forgetting it is the service layer's row.
  }

  async list(): Promise<ProvidedBox[]> {
    return this.registered();
  }
}

/** What the operator runs on their host to let the control plane in with its generated key. */
export function authorizeKeyCommand(publicKey: string): string {
  const line = publicKey.trim();
  if (!/^ssh-ed25519 [A-Za-z0-9+/]+={0,2}(?: [^\n]*)?$/.test(line))
    throw new ProviderError('invalid_input', 'Not an ed25519 public key line');
  return `mkdir -p ~/.ssh && chmod 700 ~/.ssh && printf '%s\\n' ${quote(line)} >> ~/.ssh/authorized_keys && chmod 600 ~/.ssh/authorized_keys`;
}
