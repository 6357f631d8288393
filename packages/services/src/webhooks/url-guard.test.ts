import { describe, expect, it } from 'vitest';
import { checkWebhookUrl, isAllowedAddress } from './url-guard';

const production = { allowLoopback: false };
const tests = { allowLoopback: true };

describe('the webhook SSRF guard', () => {
  it('refuses private, loopback, link-local, CGNAT, mapped and reserved addresses in production', () => {
    for (const address of [
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '127.0.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:10.0.0.1',
      '::ffff:127.0.0.1',
      '::ffff:a9fe:a9fe',
      '224.0.0.1',
    ]) {
      expect(isAllowedAddress(address, production), address).toBe(false);
    }
    expect(isAllowedAddress('93.184.216.34', production)).toBe(true);
    expect(isAllowedAddress('2606:2800:220:1:248:1893:25c8:1946', production)).toBe(true);
  });

  it('admits loopback only when allowed, and still nothing private', () => {
    expect(isAllowedAddress('127.0.0.1', tests)).toBe(true);
    expect(isAllowedAddress('::1', tests)).toBe(true);
    expect(isAllowedAddress('10.0.0.1', tests)).toBe(false);
    expect(isAllowedAddress('169.254.169.254', tests)).toBe(false);
  });

  it('checks URLs when they are saved: https, no credentials, no private literal addresses', () => {
    expect(() => checkWebhookUrl('http://hooks.example.com/x', production)).toThrow(/https/);
    expect(() => checkWebhookUrl('https://127.0.0.1/x', production)).toThrow(/public/);
    expect(() => checkWebhookUrl('https://[::ffff:a00:1]/x', production)).toThrow(/public/);
    expect(() => checkWebhookUrl('https://user:pw@hooks.example.com/', production)).toThrow(/credentials/);
    expect(() => checkWebhookUrl('https://localhost/', production)).toThrow(/public/);
    expect(() => checkWebhookUrl('not a url', production)).toThrow(/valid/);
    expect(checkWebhookUrl('https://hooks.example.com/x', production).hostname).toBe('hooks.example.com');
    expect(checkWebhookUrl('http://127.0.0.1:8080/x', tests).port).toBe('8080');
    expect(() => checkWebhookUrl('http://10.0.0.1/x', tests)).toThrow(/public/);
  });
});
