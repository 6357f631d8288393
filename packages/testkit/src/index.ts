export { readTestEnv } from './env';
export { createTestDatabase, withDatabase, type TestDatabase } from './database';
export { uniqueQueuePrefix, connectTestRedis } from './redis';
