// Moved to @paddock/testkit/vitest so package unit tests can use it without reaching into test/.
export { waitFor } from '@paddock/testkit/vitest';
