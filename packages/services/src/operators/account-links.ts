import { randomBytes } from 'node:crypto';
import { AppError } from '@paddock/contracts';
import type { Prisma } from '@paddock/db';
import { hashPassword, hashToken } from '@paddock/vault';
import { type RequestFacts, writeAudit } from '../audit/audit-entry';
import type { ServiceClients } from '../clients';

/**
 * Invite and password-reset links, for operators and workspace members alike: a random token shown once to whoever
 * made it, stored as its sha256, expiring, single use. Redeeming one sets the person's password; they log in after.
 */

export const INVITE_TTL_MS = 7 * 24 * 3600 * 1000;
export const RESET_TTL_MS = 24 * 3600 * 1000;

const LINK_TOKEN = /^pdi_[A-Za-z0-9_-]{43}$/;

type Tx = Prisma.TransactionClient;

/** A new link for `userId`; earlier open links of the user stop working (only the newest one counts). */
export async function issueAccountLink(
  { prisma: tx }: { prisma: Tx },
  input: { userId: string; tenantId: string | null; kind: 'invite' | 'password_reset'; createdByUserId: string | null },
): Promise<{ token: string; expiresAt: Date }> {
  const now = new Date();
  await tx.accountToken.updateMany({ where: { userId: input.userId, usedAt: null }, data: { usedAt: now } });
  const token = `pdi_${randomBytes(32).toString('base64url')}`;
  const expiresAt = new Date(now.getTime() + (input.kind === 'invite' ? INVITE_TTL_MS : RESET_TTL_MS));
  await tx.accountToken.create({
    data: { ...input, tokenHash: hashToken(token), expiresAt },
    select: { id: true },
  });
  return { token, expiresAt };
}

const REFUSED = 'This link is unknown, expired or already used; ask for a new one.';

/**
 * Sets the password of the link's user. `audience` keeps the two doors apart: an operator's link does nothing at
 * the members' door and the other way round. The claim is one conditional UPDATE, so two redemptions of one link
 * race to exactly one winner; the password is hashed before the transaction (scrypt holds no connection).
 */
export async function redeemAccountLink(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  input: { token: string; password: string; audience: 'operator' | 'member' },
  request: RequestFacts = {},
): Promise<{ id: string; email: string }> {
  if (!LINK_TOKEN.test(input.token)) throw new AppError('not_found', REFUSED);
  const passwordHash = await hashPassword(input.password);
  return prisma.$transaction(async (tx) => {
    const now = new Date();
    const link = await tx.accountToken.findUnique({
      where: { tokenHash: hashToken(input.token) },
      select: {
        id: true,
        kind: true,
        tenantId: true,
        user: { select: { id: true, email: true, role: true, tenantId: true, disabledAt: true } },
      },
    });
    const isOperator = link?.user.role === 'operator';
    if (!link || link.user.disabledAt || isOperator !== (input.audience === 'operator')) {
      throw new AppError('not_found', REFUSED);
    }
    const claimed = await tx.accountToken.updateMany({
      where: { id: link.id, usedAt: null, expiresAt: { gt: now } },
      data: { usedAt: now },
    });
    if (claimed.count !== 1) throw new AppError('not_found', REFUSED);
    await tx.user.update({
      where: { id: link.user.id },
      data: { passwordHash, passwordChangedAt: now },
      select: { id: true },
    });
    // A new password ends every session made with the old one (a reset is often "someone else knows it").
    await tx.session.updateMany({ where: { userId: link.user.id, revokedAt: null }, data: { revokedAt: now } });
    const prefix = isOperator ? 'operator' : 'member';
    await writeAudit(
      { prisma: tx },
      {
        actor: { type: 'user', id: link.user.id, label: link.user.email },
        action: link.kind === 'invite' ? `${prefix}.invite.accept` : `${prefix}.password.reset.complete`,
        tenantId: link.user.tenantId,
        target: { type: 'user', id: link.user.id },
        request,
      },
    );
    return { id: link.user.id, email: link.user.email };
  });
}
