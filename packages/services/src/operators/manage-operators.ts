import { AppError, type OperatorAccount, type OperatorRole } from '@paddock/contracts';
import { Prisma, type PrismaClient } from '@paddock/db';
import { issueAccountLink } from './account-links';
import { operatorActor, type RequestFacts, writeAudit } from '../audit/audit-entry';
import type { OperatorIdentity } from './operator-sessions';
import type { ServiceClients } from '../clients';

/**
 * The operator accounts, managed by owners (the routes require the owner role; these functions trust that). Every
 * change is one transaction under one advisory lock, so two owners demoting or disabling each other at once cannot
 * leave the platform without an active owner; each is audited with the account before and after.
 */

const ACCOUNT_SELECT = {
  id: true,
  email: true,
  name: true,
  operatorRole: true,
  passwordHash: true,
  passwordChangedAt: true,
  disabledAt: true,
  lastLoginAt: true,
  createdAt: true,
} as const satisfies Prisma.UserSelect;

type AccountRow = Prisma.UserGetPayload<{ select: typeof ACCOUNT_SELECT }>;
type Tx = Prisma.TransactionClient;

function toAccount(row: AccountRow): OperatorAccount {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.operatorRole ?? 'viewer',
    status: row.disabledAt
      ? 'disabled'
      : row.passwordHash
        ? 'active'
        : row.passwordChangedAt
          ? 'password_reset'
          : 'invited',
    lastLoginAt: row.lastLoginAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

/** What the audit row keeps of an account (never the password hash). */
function snapshot(row: AccountRow): Prisma.InputJsonObject {
  const { id, email, role, status } = toAccount(row);
  return { id, email, role, status };
}

export async function listOperators({ prisma }: Pick<ServiceClients, 'prisma'>): Promise<OperatorAccount[]> {
  const rows = await prisma.user.findMany({
    where: { role: 'operator' },
    select: ACCOUNT_SELECT,
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  return rows.map(toAccount);
}

function locked<T>(prisma: PrismaClient, work: (tx: Tx) => Promise<T>): Promise<T> {
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('operator-accounts'))`;
    return work(tx);
  });
}

async function accountOf(tx: Tx, id: string): Promise<AccountRow> {
  const row = await tx.user.findFirst({ where: { id, role: 'operator' }, select: ACCOUNT_SELECT });
  if (!row) throw new AppError('not_found', `There is no operator ${id}.`);
  return row;
}

/** Refuses a change that would leave no enabled owner (nobody could manage operators any more). */
async function keepAnOwner(tx: Tx, changing: string): Promise<void> {
  const others = await tx.user.count({
    where: { role: 'operator', operatorRole: 'owner', disabledAt: null, id: { not: changing } },
  });
  if (others === 0) {
    throw new AppError('conflict', 'This is the last enabled owner: make another operator owner first.');
  }
}

export async function inviteOperator(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  actor: OperatorIdentity,
  input: { email: string; role: OperatorRole; name?: string | undefined },
  request: RequestFacts = {},
) {
  try {
    return await locked(prisma, async (tx) => {
      const row = await tx.user.create({
        data: { email: input.email, name: input.name ?? null, role: 'operator', operatorRole: input.role },
        select: ACCOUNT_SELECT,
      });
      const invite = await issueAccountLink(
        { prisma: tx },
        {
          userId: row.id,
          tenantId: null,
          kind: 'invite',
          createdByUserId: actor.userId,
        },
      );
      await writeAudit(
        { prisma: tx },
        {
          actor: operatorActor(actor),
          action: 'operator.invite',
          target: { type: 'user', id: row.id },
          after: snapshot(row),
          details: { expiresAt: invite.expiresAt.toISOString() },
          request,
        },
      );
      return { operator: toAccount(row), invite: { token: invite.token, expiresAt: invite.expiresAt.toISOString() } };
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      throw new AppError('conflict', `An account with the email ${input.email} exists already.`);
    }
    throw error;
  }
}

/** Changes one account under the lock, audited as `operator.<action>` with the account before and after. */
async function changeAccount(
  prisma: PrismaClient,
  actor: OperatorIdentity,
  id: string,
  action: string,
  request: RequestFacts,
  change: (tx: Tx, before: AccountRow) => Promise<Prisma.UserUpdateInput | null>,
): Promise<{ before: AccountRow; after: AccountRow }> {
  return locked(prisma, async (tx) => {
    const before = await accountOf(tx, id);
    const data = await change(tx, before);
    const after = data ? await tx.user.update({ where: { id }, data, select: ACCOUNT_SELECT }) : before;
    await writeAudit(
      { prisma: tx },
      {
        actor: operatorActor(actor),
        action: `operator.${action}`,
        target: { type: 'user', id },
        before: snapshot(before),
        after: snapshot(after),
        request,
      },
    );
    return { before, after };
  });
}

function notSelf(actor: OperatorIdentity, id: string, what: string): void {
  if (actor.userId === id) throw new AppError('conflict', `You cannot ${what} your own account; ask another owner.`);
}

/** Disables an operator: every session of theirs is revoked in the same transaction, open links die with it. */
export async function disableOperator(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  actor: OperatorIdentity,
  id: string,
  request: RequestFacts = {},
) {
  notSelf(actor, id, 'disable');
  const { after } = await changeAccount(prisma, actor, id, 'disable', request, async (tx, before) => {
    if (before.operatorRole === 'owner') await keepAnOwner(tx, id);
    const now = new Date();
    await tx.session.updateMany({ where: { userId: id, revokedAt: null }, data: { revokedAt: now } });
    await tx.accountToken.updateMany({ where: { userId: id, usedAt: null }, data: { usedAt: now } });
    return before.disabledAt ? null : { disabledAt: now };
  });
  return toAccount(after);
}

export async function enableOperator(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  actor: OperatorIdentity,
  id: string,
  request: RequestFacts = {},
) {
  const { after } = await changeAccount(prisma, actor, id, 'enable', request, async (_tx, before) =>
    before.disabledAt ? { disabledAt: null } : null,
  );
  return toAccount(after);
}

export async function changeOperatorRole(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  actor: OperatorIdentity,
  id: string,
  role: OperatorRole,
  request: RequestFacts = {},
) {
  const { after } = await changeAccount(prisma, actor, id, 'role.change', request, async (tx, before) => {
    if (before.operatorRole === role) return null;
    if (before.operatorRole === 'owner' && !before.disabledAt) await keepAnOwner(tx, id);
    return { operatorRole: role };
  });
  return toAccount(after);
}

/**
 * An owner resets an operator's password: the old password stops working and every session ends at once; a reset
 * link (a day) lets the person choose a new one.
 */
export async function resetOperatorPassword(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  actor: OperatorIdentity,
  id: string,
  request: RequestFacts = {},
) {
  let link: { token: string; expiresAt: Date } | undefined;
  const { after } = await changeAccount(prisma, actor, id, 'password.reset', request, async (tx, before) => {
    if (before.disabledAt) throw new AppError('conflict', 'This operator is disabled: enable the account first.');
    const now = new Date();
    await tx.session.updateMany({ where: { userId: id, revokedAt: null }, data: { revokedAt: now } });
    link = await issueAccountLink(
      { prisma: tx },
      {
        userId: id,
        tenantId: null,
        kind: 'password_reset',
        createdByUserId: actor.userId,
      },
    );
    return { passwordHash: null, passwordChangedAt: now };
  });
  if (!link) throw new Error('a reset link was not issued');
  return { operator: toAccount(after), reset: { token: link.token, expiresAt: link.expiresAt.toISOString() } };
}
