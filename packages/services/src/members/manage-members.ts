import { AppError, type MemberRole } from '@paddock/contracts';
import { Prisma } from '@paddock/db';
import { issueAccountLink } from '../operators/account-links';
import { type RequestFacts, writeAudit } from '../audit/audit-entry';
import { type TenantIdentity, tenantAuditActor } from '../tenants/tenant-identity';
import type { ServiceClients } from '../clients';

/**
 * A workspace's members. The owner (the user made at signup, one per workspace) and admins manage them: invite with
 * a role (admin, member, viewer), change a role, remove. Nobody changes or removes the owner, and only the owner
 * grants admin or touches an admin. Every query is scoped by the caller's tenant: another workspace's member is a
 * 404. Every change is audited with the member before and after.
 */

type AssignableRole = Exclude<MemberRole, 'owner'>;

const MEMBER_SELECT = {
  id: true,
  email: true,
  name: true,
  role: true,
  passwordHash: true,
  lastLoginAt: true,
  createdAt: true,
} as const satisfies Prisma.UserSelect;

type MemberRow = Prisma.UserGetPayload<{ select: typeof MEMBER_SELECT }>;

function toMember(row: MemberRow) {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role as MemberRole,
    status: row.passwordHash ? ('active' as const) : ('invited' as const),
    lastLoginAt: row.lastLoginAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

function snapshot(row: MemberRow): Prisma.InputJsonObject {
  const { id, email, role, status } = toMember(row);
  return { id, email, role, status };
}

function requireManager(actor: TenantIdentity): void {
  if (actor.memberRole === 'owner' || actor.memberRole === 'admin') return;
  throw new AppError(
    'insufficient_role',
    `Only the owner and admins manage members; your role is ${actor.memberRole}.`,
  );
}

/** Admins manage members and viewers; only the owner grants admin or changes an admin. The owner is untouchable. */
function requireRightsOver(actor: TenantIdentity, target: MemberRow, role?: AssignableRole): void {
  if (target.role === 'owner') throw new AppError('conflict', "The workspace's owner cannot be changed or removed.");
  const touchesAdmin = target.role === 'admin' || role === 'admin';
  if (touchesAdmin && actor.memberRole !== 'owner') {
    throw new AppError('insufficient_role', 'Only the owner grants the admin role or changes an admin.');
  }
}

export async function listMembers({ prisma }: Pick<ServiceClients, 'prisma'>, actor: TenantIdentity) {
  const rows = await prisma.user.findMany({
    where: { tenantId: actor.tenantId, role: { not: 'operator' }, disabledAt: null },
    select: MEMBER_SELECT,
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  return rows.map(toMember);
}

async function memberOf(tx: Prisma.TransactionClient, actor: TenantIdentity, id: string): Promise<MemberRow> {
  const row = await tx.user.findFirst({
    where: { id, tenantId: actor.tenantId, role: { not: 'operator' }, disabledAt: null },
    select: MEMBER_SELECT,
  });
  if (!row) throw new AppError('not_found', `There is no member ${id} in this workspace.`);
  return row;
}

export async function inviteMember(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  actor: TenantIdentity,
  input: { email: string; role: AssignableRole; name?: string | undefined },
  request: RequestFacts = {},
) {
  requireManager(actor);
  if (input.role === 'admin' && actor.memberRole !== 'owner') {
    throw new AppError('insufficient_role', 'Only the owner grants the admin role.');
  }
  try {
    return await prisma.$transaction(async (tx) => {
      const row = await tx.user.create({
        data: { tenantId: actor.tenantId, email: input.email, name: input.name ?? null, role: input.role },
        select: MEMBER_SELECT,
      });
      const invite = await issueAccountLink(
        { prisma: tx },
        {
          userId: row.id,
          tenantId: actor.tenantId,
          kind: 'invite',
          createdByUserId: actor.userId,
        },
      );
      await writeAudit(
        { prisma: tx },
        {
          actor: tenantAuditActor(actor),
          action: 'member.invite',
          tenantId: actor.tenantId,
          target: { type: 'user', id: row.id },
          after: snapshot(row),
          details: { expiresAt: invite.expiresAt.toISOString() },
          request,
        },
      );
      return { member: toMember(row), invite: { token: invite.token, expiresAt: invite.expiresAt.toISOString() } };
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      // Emails are unique across Paddock (one person, one login): say so without naming where it is used.
      throw new AppError('conflict', `The email ${input.email} already has a Paddock account.`);
    }
    throw error;
  }
}

export async function changeMemberRole(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  actor: TenantIdentity,
  id: string,
  role: AssignableRole,
  request: RequestFacts = {},
) {
  requireManager(actor);
  return prisma.$transaction(async (tx) => {
    const before = await memberOf(tx, actor, id);
    requireRightsOver(actor, before, role);
    const after =
      before.role === role ? before : await tx.user.update({ where: { id }, data: { role }, select: MEMBER_SELECT });
    await writeAudit(
      { prisma: tx },
      {
        actor: tenantAuditActor(actor),
        action: 'member.role.change',
        tenantId: actor.tenantId,
        target: { type: 'user', id },
        before: snapshot(before),
        after: snapshot(after),
        request,
      },
    );
    return toMember(after);
  });
}

/**
 * Removes a member: the account is deleted (their sessions and links with it, their API keys revoked; decisions they answered keep their
 * id and the box's record of their email), so the email can be invited again, here or elsewhere.
 */
export async function removeMember(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  actor: TenantIdentity,
  id: string,
  request: RequestFacts = {},
): Promise<void> {
  requireManager(actor);
  if (id === actor.userId) throw new AppError('conflict', 'You cannot remove yourself; ask the owner or an admin.');
  await prisma.$transaction(async (tx) => {
    const before = await memberOf(tx, actor, id);
    requireRightsOver(actor, before);
    // Their API keys go with them: left behind (user_id set null by the foreign key) a key would outlive its
    // holder's removal and act as a workspace key.
    await tx.apiKey.updateMany({ where: { userId: id, revokedAt: null }, data: { revokedAt: new Date() } });
    await tx.user.delete({ where: { id }, select: { id: true } });
    await writeAudit(
      { prisma: tx },
      {
        actor: tenantAuditActor(actor),
        action: 'member.remove',
        tenantId: actor.tenantId,
        target: { type: 'user', id },
        before: snapshot(before),
        request,
      },
    );
  });
}
