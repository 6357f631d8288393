import type { OperatorSessionReply } from '../api-types';
import type { Command } from 'commander';
import { ApiClient } from '../api-client';
import { type CommandContext, type CommandGroup, withJson } from '../command-context';
import { readLogin, removeLogin, writeLogin } from '../credentials';
import { CliError } from '../errors';
import { readPassword } from '../read-password';

/** `paddock login` / `paddock logout`: an operator session token, kept 0600 in the config file. */
export const loginCommands: CommandGroup = {
  register(program: Command, context: CommandContext) {
    withJson(
      program
        .command('login')
        .description('log in as an operator and keep the session token (0600) for later commands')
        .requiredOption('-e, --email <email>', 'operator email')
        .option('-s, --server <url>', 'operator API base URL (saved for later commands)')
        .option('--password-stdin', 'read the password from stdin (for scripts) instead of prompting'),
    ).action(async (options: { email: string; server?: string; passwordStdin?: boolean; json?: boolean }) => {
      const server = options.server ?? (await context.server());
      if (!/^https?:\/\//.test(server)) throw new CliError(`--server must be an http(s):// URL, got ${server}`, 2);
      const secret = await readPassword(context.io, options.passwordStdin === true);
      const session = await new ApiClient(server, undefined).post<OperatorSessionReply>('/v1/operator/sessions', {
        email: options.email,
        password: secret,
      });
      await writeLogin(context.settings.configFile, {
        server,
        token: session.token,
        email: options.email,
        expiresAt: session.expiresAt,
      });
      // The token itself is never printed, not even with --json: it is a credential.
      const reply = {
        server,
        email: options.email,
        expiresAt: session.expiresAt,
        configFile: context.settings.configFile,
      };
      context.print(options, reply, (r) => `Logged in to ${r.server} as ${r.email} until ${r.expiresAt}.\n`);
    });

    withJson(program.command('logout').description('end the saved session and forget its token')).action(
      async (options: { json?: boolean }) => {
        const login = await readLogin(context.settings.configFile);
        if (login) {
          await (await context.client()).delete('/v1/operator/sessions/current').catch((error: unknown) => {
            // An expired or revoked session is logged out already; anything else is worth saying.
            if ((error as { status?: number }).status !== 401) throw error;
          });
          await removeLogin(context.settings.configFile);
        }
        context.print(options, { loggedOut: login !== null }, (r) =>
          r.loggedOut ? 'Logged out.\n' : 'Not logged in.\n',
        );
      },
    );
  },
};
