import { extraCommands } from './cli-main';

// Commands that pull in the PTY launcher and the daemon are registered here, separately from cli-main, so that a
// unit test of argument handling does not load the native PTY module.
export function registerCommands(): void {
  Object.assign(extraCommands, {});
}
registerCommands();
