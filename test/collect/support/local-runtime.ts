// Moved to @paddock/testkit so package unit tests can use it without reaching into test/.
export { CHAINCTL, CLI_PATH, createLocalRuntime, type LocalRuntime, REPO_ROOT, TSX_LOADER } from '@paddock/testkit';
