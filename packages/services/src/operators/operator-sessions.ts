import { AppError } from '@paddock/contracts';
import { generateSessionToken, hashToken, verifyPassword } from '@paddock/vault';
import { writeAudit } from '../audit/audit-entry';
import type { ServiceClients } from '../clients';

export const OPERATOR_SESSION_TTL_MS = 12 * 3600 * 1000;

// Compared against when the email is unknown, so a login for a missing account costs the same scrypt time as a
// wrong password and the answer's timing does not tell which emails exist.
const DECOY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export type OperatorRoleName = 'owner' | 'operator' | 'viewer';

export interface OperatorIdentity {
  userId: string;
  email: string;
  sessionId: string;
  role: OperatorRoleName;
}

export async function loginOperator(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  input: { email: string; password: string; ipAddress?: string; userAgent?: string | undefined; requestId?: string },
) {
  const user = await prisma.user.findFirst({
    where: { email: input.email, role: 'operator', disabledAt: null },
    select: { id: true, email: true, passwordHash: true, operatorRole: true },
  });
  const passwordOk = await verifyPassword(input.password, user?.passwordHash ?? DECOY_HASH);
  if (!user?.passwordHash || !passwordOk) {
    throw new AppError('unauthenticated', 'The email or password is wrong.');
  }
  const { token, hash } = generateSessionToken();
  const expiresAt = new Date(Date.now() + OPERATOR_SESSION_TTL_MS);
  await prisma.$transaction([
    prisma.session.create({
      data: {
        userId: user.id,
        tokenHash: hash,
        expiresAt,
        ipAddress: input.ipAddress?.slice(0, 64) ?? null,
        userAgent: input.userAgent?.slice(0, 512) ?? null,
      },
    }),
    prisma.user.update({ where: { id: user.id }, data: { lastLoginAt: new Date() } }),
    writeAudit(
      { prisma },
      {
        actor: { type: 'user', id: user.id, label: user.email },
        action: 'operator.login',
        target: { type: 'user', id: user.id },
        request: { ipAddress: input.ipAddress, userAgent: input.userAgent, requestId: input.requestId },
      },
    ),
  ]);
  return { token, expiresAt, operator: { id: user.id, email: user.email, role: user.operatorRole ?? 'viewer' } };
}

/** The operator behind a bearer token, or an `unauthenticated` error (expired, revoked, unknown, not an operator). */
export async function authenticateOperator(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  token: string,
): Promise<OperatorIdentity> {
  const session = await prisma.session.findUnique({
    where: { tokenHash: hashToken(token) },
    select: {
      id: true,
      expiresAt: true,
      revokedAt: true,
      user: { select: { id: true, email: true, role: true, operatorRole: true, disabledAt: true } },
    },
  });
  if (
    !session ||
    session.revokedAt ||
    session.expiresAt <= new Date() ||
    session.user.role !== 'operator' ||
    !session.user.operatorRole ||
    session.user.disabledAt
  ) {
    throw new AppError('unauthenticated', 'The operator session is missing, expired or revoked; log in again.');
  }
  return { userId: session.user.id, email: session.user.email, sessionId: session.id, role: session.user.operatorRole };
}

export async function logoutOperator({ prisma }: Pick<ServiceClients, 'prisma'>, sessionId: string): Promise<void> {
  await prisma.session.update({ where: { id: sessionId }, data: { revokedAt: new Date() } });
}
