import { MAX_TERMINAL_STREAM_BYTES, TERMINAL_REPLAY_BYTES } from '@paddock/contracts';

// Beside the other settings ApiDeps carries (front-door.ts, tenant-auth.ts), not in the route that reads them: the
// route imports ApiDeps, so ApiDeps importing the route made a cycle.

/** Terminal streams a workspace may hold open at once, and each stream's bounds (ApiDeps.terminals overrides). */
export const DEFAULT_TERMINAL_SETTINGS = {
  streamsPerTenant: 4,
  tailBytes: TERMINAL_REPLAY_BYTES,
  maxStreamBytes: MAX_TERMINAL_STREAM_BYTES,
};

export type TerminalSettings = typeof DEFAULT_TERMINAL_SETTINGS;
