import { AppError } from '@paddock/contracts';
import { hashToken } from '@paddock/vault';
import type { TenantIdentity } from './tenant-identity';
import { isTenantSessionToken } from './tenant-session-token';
import type { ServiceClients } from '../clients';

// lastSeenAt answers "is this session still used, and from where?", it is not an access log: one write a minute per
// session at most, so a busy session does not turn every read into a write.
const LAST_SEEN_RESOLUTION_MS = 60_000;

const REFUSED = 'The session is missing, unknown, expired or revoked; log in again.';

/**
 * The tenant a user session acts for, or `unauthenticated` (malformed, unknown, expired, revoked, the user disabled
 * or moved, the workspace deleted). The session carries its tenant id and must agree with its user's.
 */
export async function authenticateTenantSession(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  token: string,
): Promise<TenantIdentity> {
  if (!isTenantSessionToken(token)) throw new AppError('unauthenticated', REFUSED);
  const session = await prisma.session.findUnique({
    where: { tokenHash: hashToken(token) },
    select: {
      id: true,
      tenantId: true,
      expiresAt: true,
      revokedAt: true,
      lastSeenAt: true,
      user: { select: { id: true, email: true, role: true, tenantId: true, disabledAt: true } },
      tenant: { select: { status: true } },
    },
  });
  const now = new Date();
  if (
    !session?.tenantId ||
    !session.tenant ||
    session.revokedAt ||
    session.expiresAt <= now ||
    session.user.role === 'operator' ||
    session.user.tenantId !== session.tenantId ||
    session.user.disabledAt
  ) {
    throw new AppError('unauthenticated', REFUSED);
  }
  if (session.tenant.status === 'deleting' || session.tenant.status === 'deleted') {
    throw new AppError('unauthenticated', 'This workspace has been deleted; its sessions no longer work.');
  }
  if (now.getTime() - session.lastSeenAt.getTime() > LAST_SEEN_RESOLUTION_MS) {
    // Conditional, so concurrent requests of one session write once.
    await prisma.session.updateMany({
      where: { id: session.id, lastSeenAt: session.lastSeenAt },
      data: { lastSeenAt: now },
    });
  }
  return {
    tenantId: session.tenantId,
    tenantStatus: session.tenant.status,
    credential: {
      kind: 'session',
      sessionId: session.id,
      userEmail: session.user.email,
      expiresAt: session.expiresAt,
    },
    apiKeyId: null,
    apiKeyPrefix: null,
    userId: session.user.id,
    // Not an operator (checked above), so one of the workspace roles.
    memberRole: session.user.role as TenantIdentity['memberRole'],
  };
}
