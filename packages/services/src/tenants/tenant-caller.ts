import { AppError, type TenantCallerReply } from '@paddock/contracts';
import { type RequestFacts, type TenantIdentity, tenantAuditEntry } from './tenant-identity';
import type { ServiceClients } from '../clients';

/** Who is calling (`GET /v1/me`): the credential, its user if any, and the workspace with its status. */
export async function describeTenantCaller(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  actor: TenantIdentity,
): Promise<TenantCallerReply> {
  const [tenant, user] = await Promise.all([
    prisma.tenant.findUniqueOrThrow({
      where: { id: actor.tenantId },
      select: { id: true, slug: true, name: true, status: true, plan: { select: { code: true } } },
    }),
    actor.userId
      ? prisma.user.findFirst({
          where: { id: actor.userId, tenantId: actor.tenantId },
          select: { id: true, email: true, role: true, passwordHash: true },
        })
      : null,
  ]);
  const credential = actor.credential;
  return {
    credential:
      credential.kind === 'session'
        ? { type: 'session', id: credential.sessionId, expiresAt: credential.expiresAt.toISOString() }
        : { type: 'api_key', id: credential.apiKeyId, prefix: credential.prefix },
    user:
      user && user.role !== 'operator'
        ? { id: user.id, email: user.email, role: user.role, hasPassword: user.passwordHash !== null }
        : null,
    tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name, status: tenant.status, plan: tenant.plan.code },
  };
}

/** Log out: the calling session is revoked at once (its token is refused from the next request on). */
export async function logoutTenantSession(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  actor: TenantIdentity,
  request: RequestFacts = {},
): Promise<void> {
  const credential = actor.credential;
  if (credential.kind !== 'session') {
    throw new AppError(
      'conflict',
      'This request carries an API key, not a session: there is no session to log out of.',
    );
  }
  await prisma.$transaction([
    prisma.session.updateMany({
      where: { id: credential.sessionId, tenantId: actor.tenantId, revokedAt: null },
      data: { revokedAt: new Date() },
    }),
    prisma.auditLog.create({
      data: tenantAuditEntry(actor, 'user.logout', { type: 'session', id: credential.sessionId }, {}, request),
      select: { id: true },
    }),
  ]);
}
