export { readTestEnv, roleOf } from './env';
export { createMigratedDatabase, createTestDatabase, type TestDatabase, withDatabase } from './database';
export { uniqueQueuePrefix, connectTestRedis } from './redis';
export { type FuzzSettings, readFuzzSettings } from './fuzz-settings';
export { adminQuery, createOwnedDatabase } from './database';
export { CHAINCTL, CLI_PATH, createLocalRuntime, type LocalRuntime, REPO_ROOT, TSX_LOADER } from './local-runtime';
export { runEvents } from './run-events';
