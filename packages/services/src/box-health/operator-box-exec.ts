import { AppError } from '@paddock/contracts';
import type { BoxExecReply } from '@paddock/contracts';
import type { PrismaClient } from '@paddock/db';
import { FleetError, type SshPool, sh } from '@paddock/fleet';
import type { Vault } from '@paddock/vault';
import { writeAudit } from '../audit/audit-entry';
import { loadBoxTargetWithPrisma } from '../boxes/load-box-target-prisma';
import type { ShellOperator } from './operator-shell-session';

const CAPTURE_BYTES = 1024 * 1024;
const EVERY_EXIT_CODE = Array.from({ length: 256 }, (_, code) => code);

/**
 * One command on a box for an operator (`paddock boxes ssh <box> -- cmd...`), as the box's admin user over the
 * control plane's key, through the process's SSH pool (host key checked against the pin first; a mismatch is
 * recorded by the pool's recorder and answered `box_host_key_changed`). A box whose key is not pinned is refused
 * before anything is opened. Each word of `argv` is quoted (`sh`), so what the operator typed arrives as typed.
 * Audited once it ran or failed (`box.exec`: the command, exit code, duration, bytes; never its output).
 */
export async function runOperatorBoxCommand(
  deps: { prisma: PrismaClient; vault: Vault; ssh: SshPool },
  input: { boxId: string; argv: string[]; timeoutSeconds: number },
  operator: ShellOperator,
): Promise<BoxExecReply> {
  const box = await deps.prisma.box.findUnique({
    where: { id: input.boxId },
    select: { tenantId: true, status: true, address: true, port: true, hostKeyFingerprint: true },
  });
  if (!box) throw new AppError('not_found', `No box ${input.boxId}.`);
  if (box.status === 'destroying' || box.status === 'destroyed') {
    throw new AppError('conflict', `Box ${input.boxId} is ${box.status}.`);
  }
  if (!box.hostKeyFingerprint) {
    throw new AppError(
      'conflict',
      `Box ${input.boxId} has no pinned host key: the control plane does not send its key to a box it cannot verify.`,
    );
  }
  const started = Date.now();
  const command = sh`${input.argv}`;
  let outcome: { exitCode: number; stdout: string; stderr: string } | undefined;
  let failure: unknown;
  try {
    const target = await loadBoxTargetWithPrisma({ prisma: deps.prisma, vault: deps.vault }, input.boxId);
    if (target.hostKey.kind !== 'pinned') throw new AppError('conflict', `Box ${input.boxId} has no pinned host key.`);
    const connection = await deps.ssh.connect(target);
    outcome = await connection.exec(command, {
      timeoutMs: input.timeoutSeconds * 1_000,
      okExitCodes: EVERY_EXIT_CODE,
      captureLimit: CAPTURE_BYTES,
      label: `operator command (${input.argv[0]})`,
    });
  } catch (error) {
    failure = error;
  }
  const durationMs = Date.now() - started;
  await writeAudit(
    { prisma: deps.prisma },
    {
      actor: { type: 'user', id: operator.userId, label: operator.email },
      action: 'box.exec',
      tenantId: box.tenantId,
      target: { type: 'box', id: input.boxId },
      details: {
        address: `${box.address}:${box.port}`,
        command: command.text.slice(0, 2_000),
        exitCode: outcome?.exitCode ?? null,
        durationMs,
        stdoutBytes: Buffer.byteLength(outcome?.stdout ?? ''),
        stderrBytes: Buffer.byteLength(outcome?.stderr ?? ''),
        outcome: outcome ? 'ran' : `failed: ${describe(failure).slice(0, 300)}`,
      },
      request: {
        ipAddress: operator.ip ?? undefined,
        userAgent: operator.userAgent ?? undefined,
        requestId: operator.requestId ?? undefined,
      },
    },
  );
  if (!outcome) throw operatorBoxError(input.boxId, failure);
  return { boxId: input.boxId, ...outcome, durationMs };
}

function operatorBoxError(boxId: string, error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof FleetError && error.failure === 'host_key_mismatch') {
    return new AppError(
      'box_host_key_changed',
      `Box ${boxId} presented another host key than the pinned one: check the box, then re-pin it (paddock boxes repin).`,
      { cause: error },
    );
  }
  if (error instanceof FleetError && error.failure === 'exec_timeout') {
    return new AppError('box_unavailable', `The command did not end in time on box ${boxId}.`, { cause: error });
  }
  return new AppError('box_unavailable', `Box ${boxId} could not be reached: ${describe(error)}`, { cause: error });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
