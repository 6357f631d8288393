// Library surface of the box runtime (the CLI entry is cli.ts). Everything here reads or writes only the runtime
// root directory; nothing imports Postgres, Redis or control-plane code.
export { type LoadedChain, loadChainFile, loadChainText } from './chain-files';
export { runCli } from './cli-main';
export { createRun, newRunId, parseInputArg } from './create-run';
export { Daemon, type DaemonOptions } from './daemon';
export { daemonStatus } from './daemon-state';
export { appendEvent, readRunEvents } from './event-store';
export { eventsSince, formatCursor, parseCursor } from './journal';
export { rootLayout, runLayout, stepLayout } from './paths';
export { loadRun, runStatusJson } from './read-run';
export { cancel, decide, replay, resume } from './run-actions';
export { RUNTIME_VERSION } from './version';
export { chainVersion, referencedFiles } from './chain-files';
export { parseEnvFile } from './prepare-step';
export { startDetached, stopDaemon } from './run-daemon';
