import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Benchmarks run outside vitest (no `vi.waitFor`): this waits on a state the same way, polling `probe` until it
 * gives a value other than undefined / null / false. Its interval bounds a measured time's resolution, so figures
 * taken with it are reported at that precision.
 */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
