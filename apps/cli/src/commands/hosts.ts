import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { Host, HostList, ProbedHost, RegisteredHost } from '../api-types';
import { type CommandContext, type CommandGroup, withJson } from '../command-context';
import { CliError, EXIT_USAGE } from '../errors';
import { renderTable, when } from '../output';

const HOST_COLUMNS = [
  { header: 'ID', value: (h: Host) => h.id },
  { header: 'NAME', value: (h: Host) => h.name },
  { header: 'ADDRESS', value: (h: Host) => `${h.user}@${h.address ?? '?'}:${h.port}` },
  { header: 'POOL', value: (h: Host) => h.pool },
  { header: 'STATUS', value: (h: Host) => h.status },
  { header: 'TENANT', value: (h: Host) => h.tenantId ?? 'free' },
  { header: 'HOST KEY', value: (h: Host) => h.fingerprint },
  { header: 'BOOTSTRAPPED', value: (h: Host) => when(h.bootstrappedAt) },
];

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65_535) throw new CliError('--port must be 1-65535', EXIT_USAGE);
  return n;
}

/** `paddock hosts probe|add|list|assign`: bring-your-own hosts over /v1/operator/hosts. */
export const hostCommands: CommandGroup = {
  register(program: Command, context: CommandContext) {
    const hosts = program.command('hosts').description('bring-your-own hosts: register, pools, assign to tenants');

    withJson(
      hosts
        .command('probe')
        .description('show the SSH host key an address presents (nothing is trusted or stored)')
        .argument('<address>')
        .option('--port <port>', 'SSH port (default 22)', port)
        .option('--user <user>', 'admin user (default root)'),
    ).action(async (address: string, options: { port?: number; user?: string; json?: boolean }) => {
      const client = await context.client();
      const probed = await client.post<ProbedHost>('/v1/operator/hosts/probe', {
        address,
        ...(options.port ? { port: options.port } : {}),
        ...(options.user ? { user: options.user } : {}),
      });
      context.print(options, probed, (p) => `${p.address}:${p.port} presents ${p.algorithm} ${p.fingerprint}\n`);
    });

    withJson(
      hosts
        .command('add')
        .description('register a host: probe its key, confirm it, log in with your key; it is bootstrapped into a pool')
        .argument('<name>', 'a name for people (lowercase letters, digits, dashes)')
        .argument('<address>')
        .requiredOption('--key-file <path>', "the admin user's private SSH key (stored only encrypted)")
        .option('--port <port>', 'SSH port (default 22)', port)
        .option('--user <user>', 'admin user: root or one with password-less sudo (default root)')
        .option('--pool <pool>', 'the pool signups draw from (default "default")')
        .option('--fingerprint <SHA256:...>', 'the host key you checked out of band (skips the probe question)')
        .option('--yes', 'trust the key the probe shows without asking (trust on first use, audited)'),
    ).action(
      async (
        name: string,
        address: string,
        options: {
          keyFile: string;
          port?: number;
          user?: string;
          pool?: string;
          fingerprint?: string;
          yes?: boolean;
          json?: boolean;
        },
      ) => {
        const privateKey = await readFile(options.keyFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
          throw new CliError(`cannot read --key-file ${options.keyFile}: ${error.code ?? error.message}`);
        });
        const client = await context.client();
        const where = {
          address,
          ...(options.port ? { port: options.port } : {}),
          ...(options.user ? { user: options.user } : {}),
        };
        let fingerprint = options.fingerprint;
        let trust: 'known' | 'first_use' = 'known';
        if (!fingerprint) {
          const probed = await client.post<ProbedHost>('/v1/operator/hosts/probe', where);
          context.io.stderr.write(
            `${probed.address}:${probed.port} presents ${probed.algorithm} ${probed.fingerprint}\n`,
          );
          if (!options.yes && !(await confirm(context, 'Trust this host key? [y/N] '))) {
            throw new CliError(
              'not registered: check the key on the host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then add --fingerprint or --yes',
              EXIT_USAGE,
            );
          }
          fingerprint = probed.fingerprint;
          trust = 'first_use';
        }
        const host = await client.post<RegisteredHost>('/v1/operator/hosts', {
          name,
          ...where,
          fingerprint,
          trust,
          privateKey,
          ...(options.pool ? { pool: options.pool } : {}),
        });
        context.print(
          options,
          host,
          (h) =>
            `Registered host ${h.id} (${h.name}) in pool ${h.pool}, key ${h.fingerprint}; bootstrapping (job ${h.bootstrapJobId}).\n` +
            `Follow it with: paddock hosts list\n`,
        );
      },
    );

    withJson(
      hosts
        .command('list')
        .description('registered hosts, oldest first (the order signups take them)')
        .option('--pool <pool>', 'one pool')
        .option('--free', 'only hosts no tenant has yet'),
    ).action(async (options: { pool?: string; free?: boolean; json?: boolean }) => {
      const client = await context.client();
      const reply = await client.get<HostList>('/v1/operator/hosts', {
        pool: options.pool,
        free: options.free ? 'true' : undefined,
      });
      context.print(options, reply, (r) => renderTable(r.hosts, HOST_COLUMNS));
    });

    withJson(
      hosts
        .command('assign')
        .description('give a host to a tenant without a box, then retry its provisioning (paddock tenants retry)')
        .argument('<host-id>')
        .requiredOption('--tenant <id>', 'the tenant'),
    ).action(async (hostId: string, options: { tenant: string; json?: boolean }) => {
      const client = await context.client();
      const host = await client.post<Host>(`/v1/operator/hosts/${encodeURIComponent(hostId)}/assign`, {
        tenantId: options.tenant,
      });
      context.print(
        options,
        host,
        (h) => `Host ${h.id} now belongs to tenant ${h.tenantId}. Next: paddock tenants retry ${h.tenantId}\n`,
      );
    });
  },
};

/** A yes/no question on a terminal; a piped stdin never says yes (scripts pass --yes or --fingerprint). */
async function confirm(context: CommandContext, question: string): Promise<boolean> {
  if (!context.io.stdin.isTTY) return false;
  const rl = createInterface({ input: context.io.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
