import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError, WatchdogLimitSchema } from '@paddock/contracts';
import { z } from 'zod';

/**
 * Box-wide watchdog defaults for every agent step. A step that sets nothing is still watched: without them a step
 * waiting on a terminal nobody types into hung forever (issue 12). A chain's `defaults` and a step's own values win.
 */
export const DEFAULT_IDLE_TIMEOUT = '10m';
export const DEFAULT_STEP_TIMEOUT = '60m';

const BoxConfigSchema = z.strictObject({
  /** No terminal output for this long: alert, kill, then retry (if the step has retries left). */
  idle_timeout: WatchdogLimitSchema.default(DEFAULT_IDLE_TIMEOUT),
  /** An attempt running this long in all: alert, kill, then retry. */
  timeout: WatchdogLimitSchema.default(DEFAULT_STEP_TIMEOUT),
});
export type BoxConfig = z.infer<typeof BoxConfigSchema>;

export const BOX_CONFIG_FILE = 'config.json';

/**
 * Reads `<root>/config.json` (optional; read once when the daemon starts). A file that does not parse or names a bad
 * value stops the daemon with a message naming the field, like any bad configuration, rather than silently running
 * every step unwatched.
 */
export function readBoxConfig(root: string): BoxConfig {
  const path = join(root, BOX_CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return BoxConfigSchema.parse({});
    throw error;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new AppError('bad_request', `${path}: not JSON: ${(error as Error).message}`);
  }
  const parsed = BoxConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue?.path.join('.');
    throw new AppError('bad_request', `${path}: ${field}: ${issue?.message}`);
  }
  return parsed.data;
}
