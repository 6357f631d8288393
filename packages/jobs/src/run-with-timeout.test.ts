import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { JobTimeoutError, runWithTimeout } from './run-with-timeout';

describe('runWithTimeout', () => {
  it('returns the result of work that finishes in time', async () => {
    await expect(runWithTimeout(1_000, async () => 42)).resolves.toBe(42);
  });

  it('aborts the signal and rejects with JobTimeoutError when work overruns', async () => {
    let aborted = false;
    const outcome = runWithTimeout(20, async (signal) => {
      signal.addEventListener('abort', () => {
        aborted = true;
      });
      await sleep(500);
      return 'late';
    });
    await expect(outcome).rejects.toBeInstanceOf(JobTimeoutError);
    expect(aborted).toBe(true);
  });

  it('passes the work error through unchanged', async () => {
    await expect(
      runWithTimeout(1_000, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });
});
