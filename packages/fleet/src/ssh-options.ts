import type { HostKeyPolicy } from './host-key';

/** Where a box is and how to prove who we are to it. `privateKey` arrives decrypted from the caller. */
export interface BoxTarget {
  /** The control plane's id for the box: in every error and record. */
  id: string;
  host: string;
  port: number;
  username: string;
  privateKey: string;
  hostKey: HostKeyPolicy;
}

/**
 * Every wait is explicit. Defaults: connect covers TCP + key exchange + auth, 15 s is generous for a box across an
 * ocean yet short enough that a dead box does not hold a worker; keepalive every 10 s, three misses = dead, so a
 * silently dropped link is noticed within about 30 s; commands default to 2 min unless the step says otherwise.
 */
export interface SshTimeouts {
  connectMs: number;
  commandMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
}

export const DEFAULT_SSH_TIMEOUTS: SshTimeouts = {
  connectMs: 15_000,
  commandMs: 120_000,
  keepaliveIntervalMs: 10_000,
  keepaliveCountMax: 3,
};

export function describeTarget(target: BoxTarget): string {
  return `${target.username}@${target.host}:${target.port}`;
}
