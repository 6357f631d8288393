import type { Command } from 'commander';
import type { TenantDetail } from '../api-types';
import { type CommandContext, type CommandGroup, positiveInt, withJson } from '../command-context';
import { ApiError, CliError } from '../errors';
import { renderTable, when } from '../output';

/**
 * The reply of `GET /v1/operator/audit` (the audit search API, issue 13). Written here rather than inferred from
 * contracts while that API lands on its own branch: SEAM, once `@paddock/contracts/api/operator-audit` is on main,
 * replace this with `z.output<typeof AuditPageReplySchema>` (the field names below are that schema's).
 */
interface AuditPage {
  entries: Array<{
    id: string;
    at: string;
    tenantId: string | null;
    actor: { type: string; id: string | null; label: string };
    action: string;
    target: { type: string | null; id: string | null };
    details: unknown;
    requestId: string | null;
  }>;
  nextCursor: string | null;
}
type Entry = AuditPage['entries'][number];

const AUDIT_COLUMNS = [
  { header: 'WHEN', value: (e: Entry) => when(e.at) },
  { header: 'ACTOR', value: (e: Entry) => e.actor.label },
  { header: 'ACTION', value: (e: Entry) => e.action },
  { header: 'TARGET', value: (e: Entry) => (e.target.type ? `${e.target.type} ${e.target.id ?? ''}`.trim() : null) },
  { header: 'TENANT', value: (e: Entry) => e.tenantId },
  { header: 'DETAILS', value: (e: Entry) => e.details },
];

interface AuditOptions {
  actor?: string;
  tenant?: string;
  action?: string;
  targetType?: string;
  target?: string;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
  json?: boolean;
}

/** `paddock audit list`: who did what, newest first, over the audit search API (or one tenant's recent rows). */
export const auditCommands: CommandGroup = {
  register(program: Command, context: CommandContext) {
    const audit = program.command('audit').description('the audit log: who did what, to what, from where');

    withJson(
      audit
        .command('list')
        .description('audit rows, newest first')
        .option('--actor <who>', 'an email, key prefix, user id or system worker name')
        .option('--tenant <id>')
        .option('--action <action>', 'exact (tenant.suspend) or a prefix ending in a dot (host.)')
        .option('--target-type <type>', 'box, tenant, rollout, invoice, ...')
        .option('--target <id>')
        .option('--from <iso-time>')
        .option('--to <iso-time>')
        .option('--limit <n>', 'at most this many (1-200)', positiveInt)
        .option('--cursor <cursor>', 'the next page (printed under a full page)'),
    ).action(async (options: AuditOptions) => {
      const client = await context.client();
      let page: AuditPage;
      try {
        page = await client.get<AuditPage>('/v1/operator/audit', {
          actor: options.actor,
          tenantId: options.tenant,
          action: options.action,
          targetType: options.targetType,
          targetId: options.target,
          from: options.from,
          to: options.to,
          limit: options.limit,
          cursor: options.cursor,
        });
      } catch (error) {
        // A server without the audit search API answers the path itself with 404: fall back to what every
        // server has, a tenant's recent audit rows in its detail, and say plainly what is missing otherwise.
        if (!(error instanceof ApiError && error.status === 404)) throw error;
        if (!options.tenant) {
          throw new CliError(
            "this server has no audit search (GET /v1/operator/audit); pass --tenant <id> for that tenant's recent rows",
          );
        }
        page = await tenantAudit(context, options.tenant);
      }
      context.print(options, page, (r) => {
        const more = r.nextCursor ? `More: paddock audit list --cursor ${r.nextCursor}\n` : '';
        return `${renderTable(r.entries, AUDIT_COLUMNS)}${more}`;
      });
    });
  },
};

async function tenantAudit(context: CommandContext, tenantId: string): Promise<AuditPage> {
  const client = await context.client();
  const tenant = await client.get<TenantDetail>(`/v1/operator/tenants/${encodeURIComponent(tenantId)}`);
  return {
    entries: tenant.audit.map((a) => ({
      id: a.id,
      at: a.createdAt,
      tenantId: tenant.id,
      actor: { type: a.actorType, id: null, label: a.actorLabel },
      action: a.action,
      target: { type: a.targetType, id: a.targetId },
      details: a.details,
      requestId: null,
    })),
    nextCursor: null,
  };
}
