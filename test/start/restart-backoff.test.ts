import { describe, expect, it } from 'vitest';
import { RestartBackoff } from '../../scripts/supervisor/restart-backoff';

describe("npm start's restart backoff", () => {
  it('doubles while a program keeps dying young, caps the wait, and starts over after a stable run', () => {
    const backoff = new RestartBackoff({ initialMs: 1_000, maxMs: 8_000, stableAfterMs: 30_000 });
    expect([100, 100, 100, 100, 100].map((ran) => backoff.delayAfter(ran))).toEqual([
      1_000, 2_000, 4_000, 8_000, 8_000,
    ]);
    expect(backoff.delayAfter(30_000)).toBe(1_000);
    expect(backoff.delayAfter(10)).toBe(2_000);
  });
});
