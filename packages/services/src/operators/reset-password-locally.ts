import { AppError } from '@paddock/contracts';
import { generatePassword, hashPassword } from '@paddock/vault';
import { writeAudit } from '../audit/audit-entry';
import type { ServiceClients } from '../clients';

/**
 * `npm run operator -- reset-password <email>` on the control plane's machine: the first operator's password is
 * printed once at the first start, and whoever holds the database credentials may set a new one. A generated
 * password (shown once), every session of the account revoked and its open links voided, a disabled account enabled
 * again (the way back in when the last owner locked themselves out), audited as the system.
 */
export async function resetOperatorPasswordLocally(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  email: string,
): Promise<{ email: string; password: string; role: string }> {
  const normalized = email.trim().toLowerCase();
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  return prisma.$transaction(async (tx) => {
    const user = await tx.user.findFirst({
      where: { email: normalized, role: 'operator' },
      select: { id: true, email: true, operatorRole: true, disabledAt: true },
    });
    if (!user) throw new AppError('not_found', `There is no operator with the email ${normalized}.`);
    const now = new Date();
    await tx.user.update({
      where: { id: user.id },
      data: { passwordHash, passwordChangedAt: now, disabledAt: null },
      select: { id: true },
    });
    await tx.session.updateMany({ where: { userId: user.id, revokedAt: null }, data: { revokedAt: now } });
    await tx.accountToken.updateMany({ where: { userId: user.id, usedAt: null }, data: { usedAt: now } });
    await writeAudit(
      { prisma: tx },
      {
        actor: { type: 'system', label: 'operator-cli' },
        action: 'operator.password.reset_locally',
        target: { type: 'user', id: user.id },
        before: { disabled: user.disabledAt !== null },
        after: { disabled: false },
        details: { email: user.email },
      },
    );
    return { email: user.email, password, role: user.operatorRole ?? 'viewer' };
  });
}
