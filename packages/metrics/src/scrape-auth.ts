import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

export interface ScrapeFacts {
  /** The TCP peer (never X-Forwarded-For). */
  remoteAddress: string | undefined;
  authorization: string | undefined;
  /** Whether the request came through a proxy (it carries Forwarded / X-Forwarded-For). */
  forwarded: boolean;
}

export type ScrapeVerdict = 'ok' | 'unauthenticated' | 'forbidden';

/**
 * Who may read /metrics. With a token configured: whoever sends `Authorization: Bearer <token>`, from anywhere.
 * Without one: only a direct loopback peer. A request relayed by a proxy on this machine also arrives from loopback,
 * so a forwarded request is refused without the token (the proxy would otherwise publish the metrics).
 */
export function authorizeScrape(token: string | undefined, facts: ScrapeFacts): ScrapeVerdict {
  if (token) {
    const presented = /^Bearer (.+)$/.exec(facts.authorization ?? '')?.[1];
    return presented !== undefined && sameSecret(presented, token) ? 'ok' : 'unauthenticated';
  }
  return !facts.forwarded && isLoopback(facts.remoteAddress) ? 'ok' : 'forbidden';
}

// Compared as digests: equal length whatever was sent, and no early exit that times how much of it matched.
function sameSecret(presented: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(plain) === 4) return plain.startsWith('127.');
  return plain === '::1';
}
