import type { OperatorTenantDetail, OperatorTenantSummary } from '@paddock/contracts';
import { Prisma, type TenantStatus } from '@paddock/db';
import { encodeSortedCursor, type SortOrder } from '../pagination/sorted-keyset';
import { type TenantSort, tenantOrderBy, tenantsAfterCursor } from './tenant-list-sort';
import type { ServiceClients } from '../clients';

/**
 * Operators' view of tenants: who they are, their plan and owner, their box, and, for a parked tenant, why and which
 * workflow to retry. One statement per page: the page's tenants are picked first, then their owner, box and workflow
 * are joined to those rows only.
 * Only columns meant for people are read: no key or password hashes, no secrets, no SSH keys.
 */

export interface ListTenantsInput {
  status?: TenantStatus | undefined;
  q?: string | undefined;
  limit: number;
  cursor?: string | undefined;
  sort?: TenantSort | undefined;
  order?: SortOrder | undefined;
}

const RECENT_WORKFLOWS = 20;
const RECENT_AUDIT = 50;
const CHAINS_SHOWN = 100;

const isoOf = (column: Prisma.Sql) =>
  Prisma.sql`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

// LIKE's wildcards in what the operator typed are literal characters.
const likePrefix = (text: string) => `${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The summary columns of the tenants `selected` picks (a subquery over tenants returning whole rows, ordered and
 * limited): the joined reads run for those rows only, not for every tenant the filter scans.
 */
const summariesOf = (selected: Prisma.Sql, orderBy: Prisma.Sql = tenantOrderBy('created', 'desc')) => Prisma.sql`
  SELECT t.id::text AS id, t.slug, t.name, t.status::text AS status, t.status_reason AS "statusReason",
         ${isoOf(Prisma.sql`t.created_at`)} AS "createdAt", ${isoOf(Prisma.sql`t.activated_at`)} AS "activatedAt",
         ${isoOf(Prisma.sql`t.suspended_at`)} AS "suspendedAt",
         json_build_object('code', p.code, 'name', p.name) AS plan,
         owner.email AS "ownerEmail",
         CASE WHEN b.id IS NULL THEN NULL ELSE json_build_object(
           'id', b.id, 'provider', b.provider, 'status', b.status, 'statusReason', b.status_reason,
           'address', b.address, 'runtimeVersion', b.runtime_version,
           'lastSeenAt', ${isoOf(Prisma.sql`b.last_seen_at`)}) END AS box,
         CASE WHEN sw.id IS NULL THEN NULL ELSE json_build_object(
           'id', sw.id, 'kind', sw.kind, 'status', sw.status, 'step', sw.current_step, 'error', sw.error) END
           AS "statusWorkflow",
         t.created_at AS "sortCreatedAt"
    FROM (${selected}) t
    JOIN plans p ON p.id = t.plan_id
    LEFT JOIN LATERAL (
      SELECT u.email FROM users u
       WHERE u.tenant_id = t.id AND u.role = 'owner'
       ORDER BY u.created_at, u.id LIMIT 1
    ) owner ON true
    LEFT JOIN LATERAL (
      SELECT * FROM boxes bx
       WHERE bx.tenant_id = t.id
       ORDER BY (bx.status = 'destroyed'), bx.created_at DESC, bx.id DESC LIMIT 1
    ) b ON true
    LEFT JOIN LATERAL (
      SELECT w.id, w.kind, w.status, w.current_step, w.error FROM workflows w
       WHERE w.tenant_id = t.id
         AND ((t.status = 'provisioning_failed' AND w.kind = 'provision' AND w.status = 'failed')
           OR (t.status = 'suspended' AND w.kind = 'suspend'))
       ORDER BY w.created_at DESC, w.id DESC LIMIT 1
    ) sw ON true
   ORDER BY ${orderBy}`;

type SummaryRow = OperatorTenantSummary & { sortCreatedAt: Date };

function toSummary(row: SummaryRow): OperatorTenantSummary {
  const { sortCreatedAt: _sort, ...summary } = row;
  return summary;
}

/** A page of tenants in the sort asked for (newest first by default), keyset-paged over (sort columns, id). */
export async function listOperatorTenants(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  input: ListTenantsInput,
): Promise<{ tenants: OperatorTenantSummary[]; nextCursor: string | null }> {
  const conditions: Prisma.Sql[] = [Prisma.sql`true`];
  if (input.status) conditions.push(Prisma.sql`t.status = ${input.status}::tenant_status`);
  if (input.q) {
    const prefix = likePrefix(input.q);
    // One pass over users for the email match (emails are stored lower-case), not a lookup per tenant scanned.
    conditions.push(Prisma.sql`(lower(t.slug) LIKE ${prefix} OR lower(t.name) LIKE ${prefix}
      OR t.id IN (SELECT u.tenant_id FROM users u WHERE u.tenant_id IS NOT NULL AND u.email LIKE ${prefix}))`);
  }
  const sort = input.sort ?? 'created';
  const order = input.order ?? (sort === 'created' ? 'desc' : 'asc');
  if (input.cursor) conditions.push(await tenantsAfterCursor({ prisma }, input.cursor, sort, order));
  const orderBy = tenantOrderBy(sort, order);
  const rows = await prisma.$queryRaw<SummaryRow[]>(
    summariesOf(
      Prisma.sql`
      SELECT * FROM tenants t
       WHERE ${Prisma.join(conditions, ' AND ')}
       ORDER BY ${orderBy}
       LIMIT ${input.limit + 1}`,
      orderBy,
    ),
  );
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    tenants: page.map(toSummary),
    nextCursor: rows.length > input.limit && last ? encodeSortedCursor({ sort, order, id: last.id }) : null,
  };
}

/** One tenant with its recent workflows, its chains (for an override) and its recent audit rows; null if unknown. */
export async function getOperatorTenant(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  tenantId: string,
): Promise<OperatorTenantDetail | null> {
  const [row] = await prisma.$queryRaw<SummaryRow[]>(
    summariesOf(Prisma.sql`SELECT * FROM tenants WHERE id = ${tenantId}::uuid`),
  );
  if (!row) return null;
  const [workflows, chains, audit] = await Promise.all([
    prisma.$queryRaw<OperatorTenantDetail['workflows']>`
      SELECT w.id::text AS id, w.kind::text AS kind, w.status::text AS status, w.current_step AS "currentStep",
             w.error, w.attempts, ${isoOf(Prisma.sql`w.created_at`)} AS "createdAt",
             ${isoOf(Prisma.sql`w.finished_at`)} AS "finishedAt"
        FROM workflows w WHERE w.tenant_id = ${tenantId}::uuid
       ORDER BY w.created_at DESC, w.id DESC LIMIT ${RECENT_WORKFLOWS}`,
    prisma.$queryRaw<OperatorTenantDetail['chains']>`
      SELECT c.id::text AS id, c.name, av.version AS "activeVersion", gv.version AS "lastKnownGoodVersion",
             (SELECT json_build_object('version', v.version, 'status', v.status) FROM chain_versions v
               WHERE v.chain_id = c.id ORDER BY v.version DESC LIMIT 1) AS "latestVersion"
        FROM chains c
        LEFT JOIN chain_versions av ON av.id = c.active_version_id
        LEFT JOIN chain_versions gv ON gv.id = c.last_known_good_version_id
       WHERE c.tenant_id = ${tenantId}::uuid AND c.archived_at IS NULL
       ORDER BY c.name LIMIT ${CHAINS_SHOWN}`,
    prisma.$queryRaw<OperatorTenantDetail['audit']>`
      SELECT a.id::text AS id, a.actor_type::text AS "actorType", a.actor_label AS "actorLabel", a.action,
             a.target_type AS "targetType", a.target_id AS "targetId", a.details,
             ${isoOf(Prisma.sql`a.created_at`)} AS "createdAt"
        FROM audit_log a WHERE a.tenant_id = ${tenantId}::uuid
       ORDER BY a.created_at DESC, a.id DESC LIMIT ${RECENT_AUDIT}`,
  ]);
  return { ...toSummary(row), workflows, chains, audit };
}
