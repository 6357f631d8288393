import { extraCommands } from './cli-main';
import { attachCommand } from './commands/attach';
import { cancelCommand, decideCommand, replayCommand, resumeCommand } from './commands/act';
import { daemonCommand } from './commands/daemon';
import { healthCommand } from './commands/health';
import { serveCommand } from './commands/serve';

// Commands that pull in the PTY binding and the daemon are registered here, apart from cli-main, so that code which
// only parses arguments or validates chains does not load the native module.
Object.assign(extraCommands, {
  attach: attachCommand,
  daemon: daemonCommand,
  decide: decideCommand,
  replay: replayCommand,
  resume: resumeCommand,
  cancel: cancelCommand,
  health: healthCommand,
  serve: serveCommand,
});
