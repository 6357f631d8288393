import { AppError, type StagingResult } from '@paddock/contracts';
import type { Prisma, PrismaClient } from '@paddock/db';
import { auditRow, operatorActor } from '../audit/audit-entry';
import { type RequestFacts, type TenantIdentity, tenantAuditEntry } from '../tenants/tenant-identity';
import { chainNotFound } from './chain-versions';
import { writeAudit } from '../audit/audit-entry';
import type { ServiceClients } from '../clients';

type Tx = Prisma.TransactionClient;
type Status = 'staging' | 'active' | 'rejected' | 'superseded';

export interface ActivationOutcome {
  chainId: string;
  activeVersion: { id: string; version: number };
  lastKnownGoodVersion: { id: string; version: number } | null;
  previous: { id: string; version: number; status: Status } | null;
}

/**
 * Records how staging ended and moves the version on: passed (or nothing to check) → active, the version it
 * replaces superseded and kept as last known-good; failed → rejected, the active version untouched. A version a
 * person already decided on (activated, rejected) keeps that decision; its result is still stored. A version that
 * passes after a newer one became active does not displace it: it is superseded at once.
 */
export async function finishStaging(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  chainVersionId: string,
  result: StagingResult | null,
): Promise<{ status: Status; activated: boolean }> {
  return prisma.$transaction(async (tx) => {
    const target = await tx.chainVersion.findUniqueOrThrow({
      where: { id: chainVersionId },
      select: { chainId: true, tenantId: true },
    });
    await lockChain(tx, target.tenantId, target.chainId);
    const version = await tx.chainVersion.findUniqueOrThrow({
      where: { id: chainVersionId },
      select: { id: true, version: true, status: true, chainId: true, tenantId: true, referenceInputs: true },
    });
    const stagingResult = result === null ? undefined : (result as unknown as Prisma.InputJsonObject);
    if (version.status !== 'staging') {
      if (stagingResult) await tx.chainVersion.update({ where: { id: version.id }, data: { stagingResult } });
      return { status: version.status, activated: false };
    }
    const passed = result === null || result.passed;
    const audit = (action: string, details: Prisma.InputJsonObject) =>
      writeAudit(
        { prisma: tx },
        {
          actor: { type: 'system', label: 'staging' },
          action: action,
          tenantId: version.tenantId,
          target: { type: 'chain_version', id: version.id },
          details: { chainId: version.chainId, version: version.version, ...details },
        },
      );
    if (!passed) {
      await tx.chainVersion.update({
        where: { id: version.id },
        data: { status: 'rejected', rejectedAt: new Date(), ...(stagingResult ? { stagingResult } : {}) },
      });
      await audit('chain_version.reject', { reason: 'staging checks failed' });
      return { status: 'rejected', activated: false };
    }
    const chain = await tx.chain.findUniqueOrThrow({
      where: { id: version.chainId },
      select: { activeVersion: { select: { version: true } } },
    });
    if (chain.activeVersion && chain.activeVersion.version > version.version) {
      await tx.chainVersion.update({
        where: { id: version.id },
        data: { status: 'superseded', ...(stagingResult ? { stagingResult } : {}) },
      });
      await audit('chain_version.superseded', { reason: `version ${chain.activeVersion.version} is already active` });
      return { status: 'superseded', activated: false };
    }
    if (stagingResult) await tx.chainVersion.update({ where: { id: version.id }, data: { stagingResult } });
    const outcome = await makeActive(tx, version.chainId, version.id, 'superseded');
    await audit('chain_version.activate', {
      reason: result === null ? 'no reference inputs' : 'staging checks passed',
      previousVersionId: outcome.previous?.id ?? null,
    });
    return { status: 'active', activated: true };
  });
}

/** Who changes a chain's active version, as the audit log records it. */
interface ChainActor {
  tenantId: string;
  userId: string | null;
  audit(
    action: string,
    target: { type: string; id: string },
    details: Prisma.InputJsonObject,
  ): Prisma.AuditLogUncheckedCreateInput;
}

function tenantActor(actor: TenantIdentity, request: RequestFacts): ChainActor {
  return {
    tenantId: actor.tenantId,
    userId: actor.userId,
    audit: (action, target, details) => tenantAuditEntry(actor, action, target, details, request),
  };
}

/**
 * A person makes a version active although staging did not pass it (rejected, or still staging), or brings back an
 * older one. The reason is kept in the audit log; on a version staging did not pass it is also kept on the version
 * (overriddenByUserId / overrideReason), which is then never counted as known-good.
 */
export function activateChainVersion(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  actor: TenantIdentity,
  target: { chainId: string; version: number; reason: string },
  request: RequestFacts = {},
): Promise<ActivationOutcome> {
  return activate(prisma, tenantActor(actor, request), target);
}

/** The same override by an operator (console, CLI) for a tenant's chain, audited as the operator. */
export function activateChainVersionAsOperator(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  operator: { userId: string; email: string },
  target: { tenantId: string; chainId: string; version: number; reason: string },
  request: RequestFacts = {},
): Promise<ActivationOutcome> {
  return activate(
    prisma,
    {
      tenantId: target.tenantId,
      userId: operator.userId,
      audit: (action, auditTarget, details) =>
        auditRow({
          actor: operatorActor(operator),
          action,
          tenantId: target.tenantId,
          target: auditTarget,
          details: { ...details, by: 'operator' },
          request,
        }),
    },
    target,
  );
}

async function activate(
  prisma: PrismaClient,
  actor: ChainActor,
  target: { chainId: string; version: number; reason: string },
): Promise<ActivationOutcome> {
  return prisma.$transaction(async (tx) => {
    await lockChain(tx, actor.tenantId, target.chainId);
    const version = await tx.chainVersion.findFirst({
      where: { tenantId: actor.tenantId, chainId: target.chainId, version: target.version },
      select: { id: true, version: true, status: true, syncedAt: true },
    });
    if (!version) throw new AppError('not_found', `Chain ${target.chainId} has no version ${target.version}.`);
    if (version.status === 'active') {
      throw new AppError('conflict', `Version ${version.version} is already the active version.`);
    }
    if (!version.syncedAt) {
      throw new AppError(
        'conflict',
        `Version ${version.version} has not reached the box yet; it can be activated once it is synced.`,
      );
    }
    const overridden = version.status === 'rejected' || version.status === 'staging';
    await tx.chainVersion.update({
      where: { id: version.id },
      data: overridden
        ? { overriddenByUserId: actor.userId, overrideReason: target.reason, rejectedAt: null }
        : { rejectedAt: null },
    });
    const outcome = await makeActive(tx, target.chainId, version.id, 'superseded');
    await tx.auditLog.create({
      data: actor.audit(
        overridden ? 'chain_version.override' : 'chain_version.activate',
        { type: 'chain_version', id: version.id },
        {
          chainId: target.chainId,
          version: version.version,
          fromStatus: version.status,
          reason: target.reason,
          previousVersionId: outcome.previous?.id ?? null,
        },
      ),
    });
    return outcome;
  });
}

/**
 * Puts the chain's last known-good version back: it becomes active, and the version that was active is rejected
 * (a person judged it bad). Refused (409) when there is no known-good version to go back to.
 */
export async function rollbackChain(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  actor: TenantIdentity,
  target: { chainId: string; reason?: string | undefined },
  request: RequestFacts = {},
): Promise<ActivationOutcome> {
  return prisma.$transaction(async (tx) => {
    const chain = await lockChain(tx, actor.tenantId, target.chainId);
    if (!chain.last_known_good_version_id) {
      throw new AppError('conflict', 'This chain has no last known-good version to roll back to.');
    }
    const good = await tx.chainVersion.findUniqueOrThrow({
      where: { id: chain.last_known_good_version_id },
      select: { id: true, version: true, syncedAt: true },
    });
    if (!good.syncedAt) throw new AppError('conflict', `Version ${good.version} is not on the box.`);
    const outcome = await makeActive(tx, target.chainId, good.id, 'rejected');
    await tx.auditLog.create({
      data: tenantAuditEntry(
        actor,
        'chain.rollback',
        { type: 'chain', id: target.chainId },
        {
          toVersionId: good.id,
          toVersion: good.version,
          fromVersionId: outcome.previous?.id ?? null,
          fromVersion: outcome.previous?.version ?? null,
          ...(target.reason ? { reason: target.reason } : {}),
        },
        request,
      ),
    });
    return outcome;
  });
}

async function lockChain(tx: Tx, tenantId: string, chainId: string) {
  const [chain] = await tx.$queryRaw<
    Array<{ id: string; active_version_id: string | null; last_known_good_version_id: string | null }>
  >`SELECT id, active_version_id, last_known_good_version_id FROM chains
     WHERE id = ${chainId}::uuid AND tenant_id = ${tenantId}::uuid FOR UPDATE`;
  if (!chain) throw chainNotFound(chainId);
  return chain;
}

/**
 * Switches the chain's active version (the chain row is locked by the caller). The one replaced becomes `previousTo`
 * (superseded, or rejected by a rollback); the last known-good version is then recomputed: the most recently active
 * version, other than the active one, that became active on its own merit (never an override) and was not rejected.
 */
async function makeActive(
  tx: Tx,
  chainId: string,
  versionId: string,
  previousTo: 'superseded' | 'rejected',
): Promise<ActivationOutcome> {
  const chain = await tx.chain.findUniqueOrThrow({
    where: { id: chainId },
    select: { activeVersion: { select: { id: true, version: true } } },
  });
  const previous = chain.activeVersion && chain.activeVersion.id !== versionId ? chain.activeVersion : null;
  const now = new Date();
  if (previous) {
    await tx.chainVersion.update({
      where: { id: previous.id },
      data: previousTo === 'rejected' ? { status: 'rejected', rejectedAt: now } : { status: 'superseded' },
    });
  }
  // active_version_id is unique: the chain lets go of the old version before the new one is marked.
  await tx.chain.update({ where: { id: chainId }, data: { activeVersionId: null } });
  const active = await tx.chainVersion.update({
    where: { id: versionId },
    data: { status: 'active', activatedAt: now },
    select: { id: true, version: true },
  });
  const good = await tx.chainVersion.findFirst({
    where: {
      chainId,
      id: { not: versionId },
      status: 'superseded',
      activatedAt: { not: null },
      overriddenByUserId: null,
      overrideReason: null,
    },
    orderBy: { activatedAt: 'desc' },
    select: { id: true, version: true },
  });
  await tx.chain.update({
    where: { id: chainId },
    data: { activeVersionId: active.id, lastKnownGoodVersionId: good?.id ?? null },
  });
  return {
    chainId,
    activeVersion: active,
    lastKnownGoodVersion: good,
    previous: previous ? { ...previous, status: previousTo } : null,
  };
}
