import { randomUUID } from 'node:crypto';
import { AppError } from '@paddock/contracts';
import { Prisma, type PrismaClient } from '@paddock/db';
import {
  type BoxTarget,
  discardEvents,
  FleetError,
  loadSshKeyPair,
  SshConnection,
  type SshPool,
  sh,
} from '@paddock/fleet';
import { enqueueJob, type Queues, createPrismaJobRecords } from '@paddock/jobs';
import type { Vault } from '@paddock/vault';
import { sshKeyVaultContext } from '../boxes/box-target';
import { type HostOperator, type HostView, hostView } from './host-view';

export interface RegisterHostInput {
  name: string;
  address: string;
  port: number;
  user: string;
  /** The host key the operator confirmed; the host must present it. */
  fingerprint: string;
  /** `first_use`: read from the probe and confirmed by the operator; `known`: checked out of band. */
  trust: 'known' | 'first_use';
  privateKey: string;
  pool: string;
}

/**
 * Registers a bring-your-own host: before anything is stored the host is dialled with the confirmed host key pinned
 * and the operator's key (a host presenting another key, or refusing the key, changes nothing), and its user must
 * be root or have password-less sudo. Then, in one transaction, the key (vault ciphertext), the host's row
 * (provider `byo`, no tenant, in its pool, key pinned, `bootstrapping`) and the audit row; then the `host.bootstrap`
 * job, which makes it ready for a tenant.
 */
export async function registerHost(
  deps: { prisma: PrismaClient; queues: Queues; vault: Vault; ssh: SshPool },
  input: RegisterHostInput,
  operator: HostOperator,
): Promise<HostView & { bootstrapJobId: string }> {
  const key = (() => {
    try {
      return loadSshKeyPair(input.privateKey);
    } catch (error) {
      throw new AppError('validation_failed', 'privateKey is not a usable, unencrypted SSH private key.', {
        cause: error,
        details: [{ path: 'privateKey', message: 'must be an unencrypted OpenSSH or PEM private key' }],
      });
    }
  })();
  const taken = await deps.prisma.box.findFirst({
    where: { provider: 'byo', address: input.address, port: input.port, destroyedAt: null },
    select: { id: true },
  });
  if (taken)
    throw new AppError('conflict', `${input.address}:${input.port} is already registered as host ${taken.id}.`);
  await checkLogin(deps.ssh, {
    id: `host ${input.name}`,
    host: input.address,
    port: input.port,
    username: input.user,
    privateKey: key.privateKey,
    hostKey: { kind: 'pinned', fingerprint: input.fingerprint },
  });
  const box = await deps.prisma
    .$transaction(async (tx) => {
      const stored =
        (await tx.sshKey.findUnique({ where: { fingerprint: key.fingerprint }, select: { id: true } })) ??
        (await storeKey(tx as unknown as PrismaClient, deps.vault, key, `${input.name} login (${input.user})`));
      const created = await tx.box.create({
        data: {
          provider: 'byo',
          providerId: `${input.address}:${input.port}`,
          name: input.name,
          address: input.address,
          port: input.port,
          sshUser: input.user,
          sshKeyId: stored.id,
          hostKeyFingerprint: input.fingerprint,
          hostKeyPinnedAt: new Date(),
          // The confirmed key is pinned now; how it was confirmed is the audit row's. Never a standing permission
          // to learn another key later.
          hostKeyTofuAllowed: false,
          pool: input.pool,
          status: 'bootstrapping',
        },
      });
      await tx.auditLog.create({
        data: {
          actorType: 'user',
          actorId: operator.userId,
          actorLabel: operator.email,
          action: 'host.register',
          targetType: 'box',
          targetId: created.id,
          details: {
            address: `${input.address}:${input.port}`,
            user: input.user,
            pool: input.pool,
            fingerprint: input.fingerprint,
            trust: input.trust,
            loginKey: key.fingerprint,
          },
          ipAddress: operator.ip ?? null,
          requestId: operator.requestId ?? null,
        },
      });
      return created;
    })
    .catch((error: unknown) => {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        throw new AppError('conflict', `${input.address}:${input.port} was just registered by someone else.`);
      }
      throw error;
    });
  const job = await enqueueJob(
    { queues: deps.queues, records: createPrismaJobRecords(deps.prisma) },
    'host.bootstrap',
    { boxId: box.id },
    { jobId: `host-bootstrap-${box.id}` },
  );
  return { ...hostView(box), bootstrapJobId: job.recordId };
}

/** One connection of its own (never the pool's: nothing is registered yet), closed at once. */
async function checkLogin(ssh: SshPool, target: BoxTarget): Promise<void> {
  let connection: SshConnection;
  try {
    connection = await SshConnection.open(target, ssh.timeouts, discardEvents);
  } catch (error) {
    if (error instanceof FleetError && error.failure === 'host_key_mismatch') {
      throw new AppError(
        'conflict',
        `${target.host}:${target.port} does not present host key ${target.hostKey.kind === 'pinned' ? target.hostKey.fingerprint : ''}: nothing was registered. Probe it again and compare.`,
        { cause: error },
      );
    }
    if (error instanceof FleetError && error.failure === 'auth_failed') {
      throw new AppError('unprocessable', `${target.host}:${target.port} refused the key for ${target.username}.`, {
        cause: error,
      });
    }
    throw new AppError('upstream_unavailable', `${target.host}:${target.port} could not be reached over SSH.`, {
      cause: error,
    });
  }
  try {
    const root = await connection.exec(sh`id -u`, { timeoutMs: 15_000 });
    if (root.stdout.trim() !== '0') {
      const sudo = await connection.exec(sh`sudo -n true`, { timeoutMs: 15_000, okExitCodes: [0, 1] });
      if (sudo.exitCode !== 0) {
        throw new AppError(
          'unprocessable',
          `${target.username} on ${target.host} is not root and has no password-less sudo: the bootstrap needs one.`,
        );
      }
    }
  } finally {
    await connection.close(2_000);
  }
}

async function storeKey(
  tx: PrismaClient,
  vault: Vault,
  key: ReturnType<typeof loadSshKeyPair>,
  name: string,
): Promise<{ id: string }> {
  const id = randomUUID();
  await tx.sshKey.create({
    data: {
      id,
      name,
      algorithm: key.publicKey.split(' ')[0]?.slice(0, 32) ?? 'ssh-ed25519',
      publicKey: key.publicKey,
      fingerprint: key.fingerprint,
      privateKeyEncrypted: vault.encrypt(key.privateKey, sshKeyVaultContext(id)),
    },
  });
  return { id };
}
