import { AppError, type ErrorCode } from '@paddock/contracts';
import type { SshKeyPair } from '@paddock/fleet';

export type ProviderKind = 'byo' | 'hetzner' | 'local';

/** Where a box is in its life, as the provider sees it. `gone`: the provider no longer knows it. */
export type BoxStatus = 'provisioning' | 'running' | 'stopped' | 'deleting' | 'unreachable' | 'gone' | 'unknown';

export interface BoxSpec {
  /** Host name rules: lowercase letters, digits and dashes, at most 63. */
  name: string;
  labels?: Record<string, string>;
  /** The control plane's login key for this box (authorized for root). */
  loginPublicKey: string;
  /** Made by the control plane before the box exists, so its fingerprint is pinned before first contact. */
  hostKey: SshKeyPair;
}

export interface ProvidedBox {
  provider: ProviderKind;
  /** The provider's own id (Hetzner server id, a local box name, `host:port` for bring-your-own). */
  providerId: string;
  name: string;
  status: BoxStatus;
  host: string | null;
  port: number;
  username: string;
  /** Pinned fingerprint when the control plane made the host key; null when it must be learned (trust on first use). */
  hostKeyFingerprint: string | null;
  labels: Record<string, string>;
}

/** Where boxes come from. The service layer keeps the rows; providers only talk to what makes and runs boxes. */
export interface BoxProvider<Spec = BoxSpec> {
  readonly kind: ProviderKind;
  create(spec: Spec): Promise<ProvidedBox>;
  status(providerId: string): Promise<ProvidedBox>;
  destroy(providerId: string): Promise<void>;
  list(): Promise<ProvidedBox[]>;
  /** Starts a machine that stopped existing on its own again, where the provider can (local test boxes). */
  revive?(providerId: string): Promise<ProvidedBox>;
  /**
   * The machine's metadata service serves its user data (which carries the host key the control plane seeded) to
   * any local user, so bootstrap must keep every uid but root away from it (Hetzner).
   */
  readonly servesUserData?: boolean;
}

const BOX_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function checkBoxName(name: string): string {
  if (!BOX_NAME.test(name)) {
    throw new ProviderError(
      'invalid_input',
      `Box name must be lowercase letters, digits and dashes (at most 63): ${JSON.stringify(name.slice(0, 80))}`,
    );
  }
  return name;
}

export type ProviderFailure =
  | 'invalid_input'
  | 'api_error'
  | 'rate_limited'
  | 'action_failed'
  | 'timeout'
  | 'not_found';

const CODE_FOR: Record<ProviderFailure, ErrorCode> = {
  invalid_input: 'bad_request',
  api_error: 'upstream_unavailable',
  rate_limited: 'rate_limited',
  action_failed: 'upstream_unavailable',
  timeout: 'upstream_unavailable',
  not_found: 'not_found',
};

export class ProviderError extends AppError {
  readonly failure: ProviderFailure;

  constructor(failure: ProviderFailure, message: string, options?: { cause?: unknown }) {
    super(CODE_FOR[failure], message, options);
    this.name = 'ProviderError';
    this.failure = failure;
  }
}
