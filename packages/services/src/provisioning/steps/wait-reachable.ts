import { connect } from 'node:net';
import { AppError } from '@paddock/contracts';
import type { WorkflowStepContext } from '../../workflows/define-workflow';
import { boxIdOf } from '../box-name';
import type { ProvisioningDeps } from '../provisioning-deps';

/** Step 2: until the box's sshd answers with its banner (a fresh cloud server takes tens of seconds). */
export async function waitReachableStep(
  deps: ProvisioningDeps,
  ctx: WorkflowStepContext,
): Promise<{ address: string; port: number; waitedMs: number }> {
  const box = await deps.prisma.box.findUniqueOrThrow({ where: { id: boxIdOf(ctx) } });
  if (!box.address) throw new AppError('unprocessable', `Box ${box.id} has no address yet.`);
  const started = Date.now();
  const deadline = started + (deps.reachableTimeoutMs ?? 5 * 60_000);
  let lastError = 'no answer';
  while (!ctx.signal.aborted) {
    try {
      await readSshBanner(box.address, box.port, 3_000);
      return { address: box.address, port: box.port, waitedMs: Date.now() - started };
    } catch (error) {
      lastError = (error as Error).message;
    }
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new AppError(
    'upstream_unavailable',
    `Box ${box.id} did not answer SSH on ${box.address}:${box.port} within ${Math.round((Date.now() - started) / 1000)} s (${lastError}).`,
  );
}

/** Connects and reads the first line; an SSH server speaks first (`SSH-2.0-...`). */
export function readSshBanner(host: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let data = '';
    const done = (error: Error | null, banner?: string) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(banner ?? '');
    };
    const timer = setTimeout(() => done(new Error(`no SSH banner within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      const line = data.split('\n', 1)[0] ?? '';
      if (data.includes('\n')) {
        if (line.startsWith('SSH-')) done(null, line.trim());
        else done(new Error('the port answered, but not as an SSH server'));
      }
    });
    socket.on('error', (error) => done(error));
    socket.on('close', () => done(new Error('closed before the SSH banner')));
  });
}
