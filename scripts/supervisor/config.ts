import { parseConfig } from '@paddock/platform';
import { z } from 'zod';

const SupervisorConfigSchema = z.object({
  PADDOCK_DATA_DIR: z.string().min(1),
  PORT: z.coerce.number().int().min(1).max(65_535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  PADDOCK_ALLOW_LOCAL_BOXES: z.enum(['true', 'false']).default('true'),
  /** Set by services.sh --allow-embedded when the embedded PGlite server stands in for PostgreSQL. */
  PADDOCK_EMBEDDED_PG: z.enum(['0', '1']).default('0'),
  PADDOCK_EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65_535).default(54_330),
  /** How long the API and the worker get to finish what they do when stopped, before SIGKILL. */
  STOP_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(40_000),
});

export type SupervisorConfig = z.output<typeof SupervisorConfigSchema>;

export function loadSupervisorConfig(env: Record<string, string | undefined>): SupervisorConfig {
  return parseConfig('start', SupervisorConfigSchema, env);
}
