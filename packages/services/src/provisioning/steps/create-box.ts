import { AppError } from '@paddock/contracts';
import type { Box, Plan, PrismaClient } from '@paddock/db';
import type { ProvidedBox } from '@paddock/providers';
import type { WorkflowStepContext } from '../../workflows/define-workflow';
import { createStoredKeyPair, loadStoredKeyPair } from '../box-keys';
import { boxNameFor } from '../box-name';
import type { ProvisioningDeps } from '../provisioning-deps';

export interface CreateBoxOutput {
  boxId: string;
  provider: string;
  providerId: string | null;
  address: string | null;
}

/**
 * Step 1: the tenant's box with its plan's provider. The Box row (deterministic name, generated login and host keys,
 * host key fingerprint pinned) is written before the provider is asked, so a retry after a crash at any point finds
 * the row, then finds the machine by the row's provider id or by name, and never makes a second one.
 */
export async function createBoxStep(deps: ProvisioningDeps, ctx: WorkflowStepContext): Promise<CreateBoxOutput> {
  const tenant = await deps.prisma.tenant.findUniqueOrThrow({ where: { id: ctx.tenantId }, include: { plan: true } });
  const box = await ensureBoxRow(deps, tenant.id, tenant.plan);
  await deps.prisma.workflow.update({ where: { id: ctx.workflowId }, data: { boxId: box.id } });
  if (box.provider === 'byo') {
    return { boxId: box.id, provider: 'byo', providerId: box.providerId, address: box.address };
  }
  const provider = deps.providers[box.provider];
  if (!provider) {
    // Local test boxes share the control plane's machine: a worker makes them only when told to (npm start does).
    const hint =
      box.provider === 'local'
        ? " Local test boxes share the control plane's machine and network and are for development only; a worker makes them only with PADDOCK_ALLOW_LOCAL_BOXES=true. Move the plan to a real provider."
        : '';
    throw new AppError('unprocessable', `The ${box.provider} provider is not configured on this control plane.${hint}`);
  }
  const name = box.name ?? boxNameFor(tenant.id);
  let machine: ProvidedBox | undefined;
  if (box.providerId) {
    const known = await provider.status(box.providerId);
    if (known.status !== 'gone') machine = known;
  }
  // A crash between the provider's answer and our update leaves a machine we have no id for: find it by name.
  machine ??= (await provider.list()).find((m) => m.name === name && m.status !== 'gone');
  if (!machine) {
    await deps.prisma.box.update({ where: { id: box.id }, data: { status: 'creating' } });
    if (!box.sshKeyId || !box.hostKeyFingerprint) throw new Error(`box ${box.id} has no keys`);
    const login = await deps.prisma.sshKey.findUniqueOrThrow({ where: { id: box.sshKeyId } });
    const hostKey = await loadStoredKeyPair({ prisma: deps.prisma, vault: deps.vault }, box.hostKeyFingerprint);
    machine = await provider.create({
      name,
      labels: { 'paddock-tenant': tenant.id, 'paddock-box': box.id },
      loginPublicKey: login.publicKey,
      hostKey,
      placement: {
        ...(tenant.plan.serverType ? { serverType: tenant.plan.serverType } : {}),
        ...(tenant.plan.region ? { location: tenant.plan.region } : {}),
      },
    });
  }
  if (machine.hostKeyFingerprint && machine.hostKeyFingerprint !== box.hostKeyFingerprint) {
    throw new AppError(
      'conflict',
      `The ${box.provider} machine named ${name} has host key ${machine.hostKeyFingerprint}, not the one made for box ${box.id}.`,
    );
  }
  await deps.prisma.box.update({
    where: { id: box.id },
    data: {
      providerId: machine.providerId,
      address: machine.host,
      port: machine.port,
      sshUser: machine.username,
      status: 'starting',
      statusReason: null,
    },
  });
  return { boxId: box.id, provider: box.provider, providerId: machine.providerId, address: machine.host };
}

/** The tenant's live box row, created once (under a per-tenant lock) with its keys; byo plans claim a free host. */
async function ensureBoxRow(deps: ProvisioningDeps, tenantId: string, plan: Plan): Promise<Box> {
  return deps.prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`box:${tenantId}`}))`;
    const existing = await tx.box.findFirst({
      where: { tenantId, destroyedAt: null, status: { notIn: ['destroying', 'destroyed'] } },
      orderBy: { createdAt: 'asc' },
    });
    if (existing) return existing;
    if (plan.provider === 'byo') return claimByoHost(tx as unknown as PrismaClient, tenantId, plan.serverType);
    const name = boxNameFor(tenantId);
    const login = await createStoredKeyPair({ prisma: tx, vault: deps.vault }, { tenantId, name: `${name} login` });
    const host = await createStoredKeyPair({ prisma: tx, vault: deps.vault }, { tenantId, name: `${name} host key` });
    return tx.box.create({
      data: {
        tenantId,
        provider: plan.provider,
        name,
        region: plan.region,
        serverType: plan.serverType,
        sshKeyId: login.id,
        hostKeyFingerprint: host.pair.fingerprint,
        hostKeyAlgorithm: 'ssh-ed25519',
        status: 'pending',
      },
    });
  });
}

/**
 * Bring-your-own plans get the oldest free host of the pool the plan's server type names (`default` when none),
 * bootstrapped ones first; a host whose bootstrap failed or that stopped answering is not handed out.
 */
async function claimByoHost(tx: PrismaClient, tenantId: string, pool: string | null): Promise<Box> {
  const [free] = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM boxes
     WHERE provider = 'byo' AND tenant_id IS NULL AND destroyed_at IS NULL
       AND COALESCE(pool, 'default') = ${pool ?? 'default'}
       AND status NOT IN ('failed', 'unreachable', 'destroying', 'destroyed')
     ORDER BY (status = 'ready') DESC, created_at LIMIT 1 FOR UPDATE SKIP LOCKED`;
  if (!free) {
    throw new AppError(
      'unprocessable',
      `No free bring-your-own host in pool ${pool ?? 'default'}: an operator must register one (or assign one).`,
    );
  }
  return tx.box.update({ where: { id: free.id }, data: { tenantId, status: 'starting' } });
}
