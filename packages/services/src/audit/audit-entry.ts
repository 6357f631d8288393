import type { Prisma } from '@paddock/db';

/**
 * The one place an audit row is built. Every change in Paddock writes its row through `writeAudit` (or `auditRow`
 * where a batch wants the input), so who / what / before-after / when / from where are recorded the same way
 * everywhere and cut to the columns' sizes the same way (a long user agent never fails the change it records).
 * Leaf module on purpose: it imports nothing from the other service folders, so any of them may use it.
 */

/** Request facts an audit row keeps (never bodies: they may hold secrets). */
export interface RequestFacts {
  ipAddress?: string | undefined;
  userAgent?: string | undefined;
  requestId?: string | undefined;
}

/** Who acted: a person (operator or member, by email), a workspace API key (by prefix), or the system (a worker). */
export type AuditActor =
  | { type: 'user'; id: string; label: string }
  | { type: 'api_key'; id: string; label: string }
  | { type: 'system'; label: string };

export interface AuditInput {
  actor: AuditActor;
  /** Dotted verb: `tenant.suspend`, `operator.invite`, `plan.update`. */
  action: string;
  tenantId?: string | null | undefined;
  target?: { type: string; id: string } | null | undefined;
  details?: Prisma.InputJsonObject | undefined;
  /** The target's fields before and after the change (only what changed, or the whole small record). */
  before?: Prisma.InputJsonValue | null | undefined;
  after?: Prisma.InputJsonValue | null | undefined;
  request?: RequestFacts | undefined;
}

/** An actor given as `{type, id?, label}` (the fleet recorder's options): a person or key without an id is refused. */
export function auditActorOf(actor: {
  type: AuditActor['type'];
  id?: string | null | undefined;
  label: string;
}): AuditActor {
  if (actor.type === 'system') return { type: 'system', label: actor.label };
  if (!actor.id) throw new Error(`an audit actor of type ${actor.type} needs an id`);
  return { type: actor.type, id: actor.id, label: actor.label };
}

/** An operator as audit rows name them. */
export function operatorActor(operator: { userId: string; email: string }): AuditActor {
  return { type: 'user', id: operator.userId, label: operator.email };
}

export function auditRow(input: AuditInput): Prisma.AuditLogUncheckedCreateInput {
  const request = input.request ?? {};
  const row: Prisma.AuditLogUncheckedCreateInput = {
    tenantId: input.tenantId ?? null,
    actorType: input.actor.type,
    actorId: input.actor.type === 'system' ? null : input.actor.id,
    actorLabel: input.actor.label.slice(0, 320),
    action: input.action,
    targetType: input.target?.type ?? null,
    targetId: input.target?.id.slice(0, 255) ?? null,
    details: input.details ?? {},
    ipAddress: request.ipAddress?.slice(0, 64) ?? null,
    userAgent: request.userAgent?.slice(0, 512) ?? null,
    requestId: request.requestId?.slice(0, 128) ?? null,
  };
  // Absent stays SQL NULL (not JSON null): "no before" is not "the target was null".
  if (input.before !== undefined && input.before !== null) row.before = input.before;
  if (input.after !== undefined && input.after !== null) row.after = input.after;
  return row;
}

/** Anything that can write a row: the client, or a transaction's client. */
export type AuditWriter = Pick<Prisma.TransactionClient, 'auditLog'>;

/**
 * Writes one audit row. Returns the Prisma promise unawaited, so it also fits an array `$transaction([...])`.
 */
export function writeAudit({ prisma: db }: { prisma: AuditWriter }, input: AuditInput) {
  return db.auditLog.create({ data: auditRow(input), select: { id: true } });
}
