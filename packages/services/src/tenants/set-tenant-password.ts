import { AppError } from '@paddock/contracts';
import { hashPassword, verifyPassword } from '@paddock/vault';
import { type RequestFacts, type TenantIdentity, tenantAuditEntry } from './tenant-identity';
import type { ServiceClients } from '../clients';

export interface SetTenantPasswordInput {
  currentPassword?: string | undefined;
  newPassword: string;
}

/**
 * The calling user sets their password: a user who has none (signed up without one, using the API key) just sets
 * it; a user who has one must give it. Every other session of the user is revoked (a changed password is how people
 * throw out whoever else may be logged in); the session making the change stays. Returns how many were revoked.
 */
export async function setTenantPassword(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  actor: TenantIdentity,
  input: SetTenantPasswordInput,
  request: RequestFacts = {},
): Promise<{ revokedSessions: number }> {
  if (!actor.userId) {
    throw new AppError('forbidden', 'This API key belongs to no user, so there is no password to set with it.');
  }
  const user = await prisma.user.findFirst({
    where: { id: actor.userId, tenantId: actor.tenantId, role: { not: 'operator' } },
    select: { id: true, passwordHash: true, disabledAt: true },
  });
  if (!user || user.disabledAt) {
    throw new AppError('forbidden', 'The user behind this credential is disabled or gone; its password cannot be set.');
  }
  if (user.passwordHash) {
    if (input.currentPassword === undefined) {
      throw new AppError('validation_failed', 'This user has a password: send it as currentPassword to change it.', {
        details: [{ path: 'body.currentPassword', message: 'is required when a password is set' }],
      });
    }
    if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
      throw new AppError('forbidden', 'The current password is wrong; the password was not changed.', {
        details: [{ path: 'body.currentPassword', message: 'is wrong' }],
      });
    }
  }
  const passwordHash = await hashPassword(input.newPassword);
  const now = new Date();
  const keep = actor.credential.kind === 'session' ? actor.credential.sessionId : undefined;
  return prisma.$transaction(async (tx) => {
    // Compare-and-set on the hash that was checked: of two concurrent changes, the second one fails cleanly.
    const { count } = await tx.user.updateMany({
      where: { id: user.id, passwordHash: user.passwordHash },
      data: { passwordHash, passwordChangedAt: now },
    });
    if (count !== 1) throw new AppError('conflict', 'The password was changed meanwhile; nothing was changed now.');
    const revoked = await tx.session.updateMany({
      where: { userId: user.id, revokedAt: null, ...(keep ? { id: { not: keep } } : {}) },
      data: { revokedAt: now },
    });
    await tx.auditLog.create({
      data: tenantAuditEntry(
        actor,
        user.passwordHash ? 'user.password.change' : 'user.password.set',
        { type: 'user', id: user.id },
        { revokedSessions: revoked.count },
        request,
      ),
      select: { id: true },
    });
    return { revokedSessions: revoked.count };
  });
}
