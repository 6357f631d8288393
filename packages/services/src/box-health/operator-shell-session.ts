import { AppError } from '@paddock/contracts';
import type { PrismaClient } from '@paddock/db';
import { type FleetRecorder, type OperatorShell, openOperatorShell, type SshTimeouts } from '@paddock/fleet';
import type { Vault } from '@paddock/vault';
import { loadBoxTargetWithPrisma } from '../boxes/load-box-target-prisma';
import { writeAudit } from '../audit/audit-entry';

export interface ShellOperator {
  userId: string;
  email: string;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}

export interface OperatorShellSession extends OperatorShell {
  /** Audit row of the opening: the closing row names it. */
  auditId: bigint;
  /** Ends the shell (if still open) and writes the closing audit row once, with the duration and byte counts. */
  end(): Promise<void>;
}

/**
 * An operator's interactive shell on a tenant's box, through the control plane's key for the box. Audited twice:
 * `box.shell.opened` before the connection is made (who, which box, from where; so even a session that never got
 * a shell is on record) and `box.shell.closed` at the end (duration, bytes each way, how it ended).
 */
export async function openOperatorShellSession(
  deps: { prisma: PrismaClient; vault: Vault; timeouts: SshTimeouts; recorder: FleetRecorder },
  input: { boxId: string; cols?: number; rows?: number },
  operator: ShellOperator,
): Promise<OperatorShellSession> {
  const box = await deps.prisma.box.findUnique({
    where: { id: input.boxId },
    select: { tenantId: true, status: true, address: true, port: true, hostKeyFingerprint: true },
  });
  if (!box) throw new AppError('not_found', `No box ${input.boxId}.`);
  if (box.status === 'destroying' || box.status === 'destroyed') {
    throw new AppError('conflict', `Box ${input.boxId} is ${box.status}.`);
  }
  // Refused before anything is opened or audited: the control plane's key goes only to a box it can verify.
  if (!box.hostKeyFingerprint) {
    throw new AppError('conflict', `Box ${input.boxId} has no pinned host key: no shell.`);
  }
  const openedAt = new Date();
  const audit = (action: string, details: Record<string, string | number | null>) =>
    writeAudit(
      { prisma: deps.prisma },
      {
        actor: { type: 'user', id: operator.userId, label: operator.email },
        action,
        tenantId: box.tenantId,
        target: { type: 'box', id: input.boxId },
        details,
        request: {
          ipAddress: operator.ip ?? undefined,
          userAgent: operator.userAgent ?? undefined,
          requestId: operator.requestId ?? undefined,
        },
      },
    );
  const opened = await audit('box.shell.opened', {
    address: `${box.address}:${box.port}`,
    openedAt: openedAt.toISOString(),
  });
  let shell: OperatorShell;
  try {
    const target = await loadBoxTargetWithPrisma({ prisma: deps.prisma, vault: deps.vault }, input.boxId);
    shell = await openOperatorShell(target, {
      timeouts: deps.timeouts,
      recorder: deps.recorder,
      ...(input.cols ? { cols: input.cols } : {}),
      ...(input.rows ? { rows: input.rows } : {}),
    });
  } catch (error) {
    await audit('box.shell.closed', {
      openedAuditId: opened.id.toString(),
      durationMs: Date.now() - openedAt.getTime(),
      bytesIn: 0,
      bytesOut: 0,
      outcome: `failed: ${(error as Error).message.slice(0, 300)}`,
    });
    throw error;
  }
  let bytesIn = 0;
  let bytesOut = 0;
  shell.channel.on('data', (chunk: Buffer) => {
    bytesOut += chunk.length;
  });
  const write = shell.channel.write.bind(shell.channel);
  shell.channel.write = ((chunk: Buffer | string, ...rest: never[]) => {
    bytesIn += Buffer.byteLength(chunk);
    return write(chunk, ...rest);
  }) as typeof shell.channel.write;
  let ended: Promise<void> | undefined;
  const end = () => {
    ended ??= (async () => {
      shell.close();
      await audit('box.shell.closed', {
        openedAuditId: opened.id.toString(),
        durationMs: Date.now() - openedAt.getTime(),
        bytesIn,
        bytesOut,
        outcome: 'closed',
      });
    })();
    return ended;
  };
  shell.channel.once('close', () => void end());
  return { ...shell, auditId: opened.id, end };
}
