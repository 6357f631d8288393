import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { AppError } from '@paddock/contracts';

/**
 * Webhook URLs are chosen by tenants, so a delivery must not become a way into the control plane's own network
 * (SSRF): addresses in private, loopback, link-local, CGNAT, multicast and reserved ranges are refused, checked on
 * the address the connection actually uses (the DNS answer), not on the host name, so a name that resolves to
 * 10.0.0.5 or rebinds between check and connect is still refused. Redirects are not followed.
 *
 * `allowLoopback` (tests and local development only, from the worker's and API's config schema) admits 127.0.0.0/8
 * and ::1, nothing else; it also admits plain http, which production refuses.
 */
export interface WebhookTargetPolicy {
  allowLoopback: boolean;
}

const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv6');
}
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

export function isAllowedAddress(address: string, policy: WebhookTargetPolicy): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (policy.allowLoopback && LOOPBACK.check(address, type)) return true;
  // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is judged as the IPv4 address it is (a ::ffff:0:0/96 rule would
  // make BlockList refuse every IPv4 address: it matches IPv4 against mapped IPv6 rules).
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return isAllowedAddress(mapped, policy);
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (hex) {
    const [high, low] = [Number.parseInt(hex[1] as string, 16), Number.parseInt(hex[2] as string, 16)];
    return isAllowedAddress(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`, policy);
  }
  return !BLOCKED.check(address, type);
}

/** Validates a URL when an endpoint is saved (a 400 with a code, before anything is stored). */
export function checkWebhookUrl(raw: string, policy: WebhookTargetPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError('validation_failed', 'The webhook URL is not a valid absolute URL.');
  }
  if (url.protocol !== 'https:' && !(policy.allowLoopback && url.protocol === 'http:')) {
    throw new AppError('validation_failed', 'Webhook URLs must use https.');
  }
  if (url.username || url.password) {
    throw new AppError(
      'validation_failed',
      'Webhook URLs must not carry credentials; the signature proves the sender.',
    );
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0 && !isAllowedAddress(host, policy)) {
    throw new AppError('validation_failed', 'Webhook URLs must point to a public address.', {
      details: [{ path: 'url', message: `${host} is in a private, loopback or reserved range` }],
    });
  }
  if (isIP(host) === 0 && /(^|\.)(localhost|internal|local)$/i.test(host) && !policy.allowLoopback) {
    throw new AppError('validation_failed', 'Webhook URLs must point to a public host.');
  }
  return url;
}

/** A `lookup` for http.request that refuses a resolved address outside the policy (checked per connection). */
export function guardedLookup(policy: WebhookTargetPolicy) {
  return (
    hostname: string,
    options: object,
    callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const list = addresses as LookupAddress[];
      const refused = list.find((entry) => !isAllowedAddress(entry.address, policy));
      if (refused || list.length === 0) {
        const blocked = new Error(
          `webhook target ${hostname} resolves to ${refused?.address ?? 'nothing'}, which is not a public address`,
        ) as NodeJS.ErrnoException;
        blocked.code = 'EWEBHOOKBLOCKED';
        return callback(blocked, []);
      }
      const all = (options as { all?: boolean }).all;
      if (all) return callback(null, list);
      const first = list[0] as LookupAddress;
      return callback(null, first.address, first.family);
    });
  };
}
