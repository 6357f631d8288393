import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from './signature';

const secret = 'whsec_test';
const body = '{"type":"alert.opened"}';

describe('webhook signatures', () => {
  it('verifies what it signed, inside the replay window only', () => {
    const signature = signWebhook(secret, 1_000_000, body);
    expect(signature).toMatch(/^v1=[0-9a-f]{64}$/);
    const headers = { timestamp: '1000000', signature };
    expect(verifyWebhook(secret, headers, body, 1_000_000)).toBe('valid');
    expect(verifyWebhook(secret, headers, body, 1_000_299)).toBe('valid');
    // A captured request replayed later, or with a forged fresh timestamp, is refused.
    expect(verifyWebhook(secret, headers, body, 1_000_301)).toBe('stale');
    expect(verifyWebhook(secret, { ...headers, timestamp: '1000300' }, body, 1_000_300)).toBe('mismatch');
  });

  it('refuses a changed body, another secret and missing headers', () => {
    const headers = { timestamp: '5', signature: signWebhook(secret, 5, body) };
    expect(verifyWebhook(secret, headers, `${body} `, 5)).toBe('mismatch');
    expect(verifyWebhook('whsec_other', headers, body, 5)).toBe('mismatch');
    expect(verifyWebhook(secret, { timestamp: undefined, signature: headers.signature }, body, 5)).toBe('missing');
    expect(verifyWebhook(secret, { timestamp: '5e3', signature: headers.signature }, body, 5)).toBe('missing');
  });
});
