import { randomUUID } from 'node:crypto';
import { AppError } from '@paddock/contracts';
import { hashPassword, needsRehash, verifyPassword } from '@paddock/vault';
import { writeAudit } from '../audit/audit-entry';
import { generateTenantSessionToken } from './tenant-session-token';
import type { ServiceClients } from '../clients';

/** How long a tenant user's session lasts unless the API's config says otherwise. */
export const DEFAULT_TENANT_SESSION_TTL_MS = 12 * 3600 * 1000;

const WRONG_CREDENTIALS = 'The email or password is wrong.';

// Checked against when the email is unknown or has no password, so every refused login costs the same scrypt time
// as a wrong password and the answer's timing does not tell which emails exist or have a password.
export const LOGIN_DECOY_HASH =
  'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export interface TenantLoginInput {
  email: string;
  password: string;
  ttlMs?: number;
  ipAddress?: string | undefined;
  userAgent?: string | undefined;
}

export interface TenantLogin {
  token: string;
  expiresAt: Date;
  user: { id: string; email: string; role: 'owner' | 'admin' | 'member' | 'viewer' };
  tenant: {
    id: string;
    name: string;
    status: 'provisioning' | 'provisioning_failed' | 'active' | 'suspended' | 'deleting' | 'deleted';
  };
}

/**
 * A tenant user logs in with email and password and gets a session token (shown once; only its hash is stored).
 * Unknown email, no password set and wrong password are one answer with the same cost. Only after the password
 * proved right does the answer say more (a disabled user, a deleted workspace): that tells nothing to a guesser.
 */
export async function loginTenantUser(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  input: TenantLoginInput,
): Promise<TenantLogin> {
  const user = await prisma.user.findFirst({
    where: { email: input.email, role: { not: 'operator' }, tenantId: { not: null } },
    select: {
      id: true,
      email: true,
      role: true,
      passwordHash: true,
      disabledAt: true,
      tenant: { select: { id: true, name: true, status: true } },
    },
  });
  const passwordOk = await verifyPassword(input.password, user?.passwordHash ?? LOGIN_DECOY_HASH);
  if (!user?.passwordHash || !user.tenant || !passwordOk || user.role === 'operator') {
    throw new AppError('unauthenticated', WRONG_CREDENTIALS);
  }
  if (user.disabledAt) {
    throw new AppError('forbidden', 'This user is disabled; ask an owner of your workspace to enable it again.');
  }
  const tenant = user.tenant;
  if (tenant.status === 'deleting' || tenant.status === 'deleted') {
    throw new AppError('unauthenticated', 'This workspace has been deleted; its users can no longer log in.');
  }
  const { token, hash } = generateTenantSessionToken();
  const now = new Date();
  const expiresAt = new Date(now.getTime() + (input.ttlMs ?? DEFAULT_TENANT_SESSION_TTL_MS));
  // A hash made with a weaker cost than today's is replaced while the password is at hand.
  const rehashed = needsRehash(user.passwordHash) ? await hashPassword(input.password) : undefined;
  const ipAddress = input.ipAddress?.slice(0, 64) ?? null;
  const sessionId = randomUUID();
  await prisma.$transaction([
    prisma.session.create({
      data: {
        id: sessionId,
        userId: user.id,
        tenantId: tenant.id,
        tokenHash: hash,
        expiresAt,
        ipAddress,
        userAgent: input.userAgent?.slice(0, 512) ?? null,
      },
      select: { id: true },
    }),
    prisma.user.update({
      where: { id: user.id },
      data: { lastLoginAt: now, ...(rehashed ? { passwordHash: rehashed } : {}) },
      select: { id: true },
    }),
    writeAudit(
      { prisma },
      {
        actor: { type: 'user', id: user.id, label: user.email },
        action: 'user.login',
        tenantId: tenant.id,
        target: { type: 'session', id: sessionId },
        details: { expiresAt: expiresAt.toISOString() },
        request: { ipAddress: ipAddress ?? undefined, userAgent: input.userAgent },
      },
    ),
  ]);
  return {
    token,
    expiresAt,
    user: { id: user.id, email: user.email, role: user.role },
    tenant: { id: tenant.id, name: tenant.name, status: tenant.status },
  };
}
