import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

/** The runtime's only read of the environment: parsed once by the CLI entry and passed down as options. */
const RuntimeEnvSchema = z.object({
  CHAIN_ROOT: z.string().min(1).optional(),
  XDG_STATE_HOME: z.string().min(1).optional(),
  HOME: z.string().min(1).optional(),
  CHAIN_MAX_PARALLEL: z.coerce.number().int().min(1).max(100_000).optional(),
});

export interface RuntimeConfig {
  root: string;
  maxParallel: number | undefined;
}

export function readRuntimeConfig(env: NodeJS.ProcessEnv, rootFlag: string | undefined): RuntimeConfig {
  const parsed = RuntimeEnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid environment: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const stateHome = parsed.data.XDG_STATE_HOME ?? join(parsed.data.HOME ?? homedir(), '.local', 'state');
  return {
    root: rootFlag ?? parsed.data.CHAIN_ROOT ?? join(stateHome, 'paddock-runtime'),
    maxParallel: parsed.data.CHAIN_MAX_PARALLEL,
  };
}
