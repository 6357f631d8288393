// Its own entry (`@paddock/testkit/vitest`): it needs the vitest runner, and benches import the index outside one.
import { vi } from 'vitest';

/** What a check gives while the awaited state is not there yet. */
type NotYet = undefined | null | false;

/**
 * Waits on state, never on a sleep: `check` is polled (vitest's `vi.waitFor`) until it gives a value other than
 * undefined / null / false, and that value is returned. On timeout the error names `what` was awaited and, when the
 * check threw, its last error.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | NotYet> | T | NotYet,
  timeoutMs = 60_000,
  intervalMs = 25,
): Promise<T> {
  let lastError: unknown;
  try {
    return await vi.waitFor(
      async () => {
        let value: T | NotYet;
        try {
          value = await check();
        } catch (error) {
          lastError = error;
          throw error;
        }
        if (value === undefined || value === null || value === false) throw new Error(`not yet: ${what}`);
        return value;
      },
      { timeout: timeoutMs, interval: intervalMs },
    );
  } catch {
    const cause = lastError instanceof Error ? `: last check failed with ${lastError.message}` : '';
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
  }
}
