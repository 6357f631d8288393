import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@paddock/platform';
import { z } from 'zod';

/** The CLI's environment, parsed once by main(); nothing else reads process.env. */
const CliEnvSchema = z.object({
  /** The operator API's base URL; overrides the one saved by `paddock login`. */
  PADDOCK_SERVER: z.string().url({ message: 'PADDOCK_SERVER must be an http(s):// URL' }).optional(),
  /** Where the config file lives: $XDG_CONFIG_HOME/paddock, else ~/.config/paddock. */
  XDG_CONFIG_HOME: z.string().min(1).optional(),
  HOME: z.string().min(1).optional(),
});

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';

export interface CliSettings {
  /** The server named in the environment, if any (wins over the saved one). */
  serverOverride: string | undefined;
  configDir: string;
  configFile: string;
}

export function loadCliSettings(env: Record<string, string | undefined>): CliSettings {
  const parsed = parseConfig('paddock', CliEnvSchema, env);
  const base = parsed.XDG_CONFIG_HOME ?? join(parsed.HOME ?? homedir(), '.config');
  const configDir = join(base, 'paddock');
  return { serverOverride: parsed.PADDOCK_SERVER, configDir, configFile: join(configDir, 'config.json') };
}
