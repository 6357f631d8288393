import type { OperatorAlert } from '@paddock/contracts';
import { type Finding, findingKey } from '@paddock/monitoring';
import { alertView } from '../alerts/list-alerts';
import type { ServiceClients } from '../clients';

export interface StoredFindings {
  opened: OperatorAlert[];
  updated: number;
  resolved: OperatorAlert[];
}

/**
 * Firing findings become alerts, one per key while unresolved (the partial unique index
 * `alerts_one_open_per_dedupe_key`): a new one is inserted, one still open gets the newest evidence, severity and
 * `last_seen_at` (an acknowledged one stays acknowledged). Normal findings resolve their open alert. `insufficient`
 * changes nothing: too little history is no evidence that the problem went away. Alerts are written in one
 * statement each way, so two rounds racing insert one row per key.
 */
export async function storeFindings(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  findings: readonly Finding[],
): Promise<StoredFindings> {
  const firing = new Map<string, Extract<Finding, { state: 'firing' }>>();
  const normal: string[] = [];
  for (const finding of findings) {
    if (finding.state === 'firing') firing.set(findingKey(finding), finding);
    else if (finding.state === 'normal') normal.push(findingKey(finding));
  }
  let opened: OperatorAlert[] = [];
  let updated = 0;
  if (firing.size > 0) {
    const list = [...firing.entries()];
    const rows = await prisma.$queryRaw<Array<{ id: string; inserted: boolean }>>`
      INSERT INTO alerts (tenant_id, box_id, severity, code, message, scope, evidence, dedupe_key)
      SELECT a.tenant_id, a.box_id, a.severity::alert_severity, a.code, a.message, a.scope, a.evidence, a.dedupe_key
        FROM unnest(${list.map(([, f]) => f.scope.tenantId ?? null)}::uuid[], ${list.map(([, f]) => f.scope.boxId ?? null)}::uuid[],
                    ${list.map(([, f]) => f.severity)}::text[], ${list.map(([, f]) => f.kind)}::text[],
                    ${list.map(([, f]) => f.message.slice(0, 1000))}::text[], ${list.map(([, f]) => JSON.stringify(f.scope))}::jsonb[],
                    ${list.map(([, f]) => JSON.stringify(f.evidence))}::jsonb[], ${list.map(([key]) => key)}::text[])
             AS a(tenant_id, box_id, severity, code, message, scope, evidence, dedupe_key)
      ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL AND status <> 'resolved'
      DO UPDATE SET severity = EXCLUDED.severity, message = EXCLUDED.message, evidence = EXCLUDED.evidence,
                    last_seen_at = now()
      RETURNING id::text, (xmax = 0) AS inserted`;
    const newIds = rows.filter((row) => row.inserted).map((row) => row.id);
    updated = rows.length - newIds.length;
    opened = (await prisma.alert.findMany({ where: { id: { in: newIds } } })).map(alertView);
  }
  let resolved: OperatorAlert[] = [];
  if (normal.length > 0) {
    const rows = await prisma.$queryRaw<Array<{ id: string }>>`
      UPDATE alerts SET status = 'resolved', resolved_at = now()
       WHERE dedupe_key = ANY(${normal}::text[]) AND status <> 'resolved'
      RETURNING id::text`;
    if (rows.length > 0) {
      resolved = (await prisma.alert.findMany({ where: { id: { in: rows.map((r) => r.id) } } })).map(alertView);
    }
  }
  return { opened, updated, resolved };
}
