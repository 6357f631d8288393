import { AppError } from '@paddock/contracts';
import type { PrismaClient } from '@paddock/db';
import { FleetError, probeHostKey } from '@paddock/fleet';
import type { HostOperator } from './host-view';

/**
 * Step one of registering a host: the control plane reads the host key the address presents and shows its
 * fingerprint to the operator, who confirms it by registering with it (trust on first use, made explicit). Nothing
 * is trusted or stored but an audit row: who looked at which address and what it presented.
 */
export async function probeHost(
  deps: { prisma: PrismaClient; timeoutMs?: number },
  input: { address: string; port: number; user: string },
  operator: HostOperator,
): Promise<{ address: string; port: number; fingerprint: string; algorithm: string }> {
  const probed = await probeHostKey(input.address, input.port, {
    username: input.user,
    timeoutMs: deps.timeoutMs ?? 10_000,
  }).catch((error: unknown) => {
    if (error instanceof FleetError) {
      throw new AppError('upstream_unavailable', `${input.address}:${input.port} did not answer as an SSH server.`, {
        cause: error,
      });
    }
    throw error;
  });
  await deps.prisma.auditLog.create({
    data: {
      actorType: 'user',
      actorId: operator.userId,
      actorLabel: operator.email,
      action: 'host.probe',
      targetType: 'host',
      targetId: `${input.address}:${input.port}`,
      details: { ...probed, user: input.user },
      ipAddress: operator.ip ?? null,
      requestId: operator.requestId ?? null,
    },
  });
  return { address: input.address, port: input.port, ...probed };
}
