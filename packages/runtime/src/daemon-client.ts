import { connect } from 'node:net';
import { AppError, type ErrorCode, type RunEvent } from '@paddock/contracts';
import type { ActRequest, RunAction } from './daemon-protocol';
import type { StoredEvent } from './event-store';
import { rootLayout } from './paths';

const REQUEST_TIMEOUT_MS = 30_000;

/** Hands a run action to the running daemon over its unix socket and returns the event it wrote. */
export function actViaDaemon(root: string, action: RunAction): Promise<StoredEvent> {
  return new Promise((resolve, reject) => {
    const socket = connect(rootLayout(root).socketFile);
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new AppError('upstream_unavailable', 'the daemon did not answer in time'));
    }, REQUEST_TIMEOUT_MS);
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(new AppError('not_ready', `cannot reach the daemon (${error.message})`));
    });
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8');
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const line = reply.split('\n')[0] ?? '';
      let parsed: { ok: boolean; event?: RunEvent; file?: string; error?: { code: string; message: string } };
      try {
        parsed = JSON.parse(line);
      } catch {
        reject(new AppError('upstream_unavailable', 'the daemon closed the connection without an answer'));
        return;
      }
      if (parsed.ok && parsed.event && parsed.file) resolve({ event: parsed.event, file: parsed.file });
      else reject(new AppError((parsed.error?.code ?? 'internal') as ErrorCode, parsed.error?.message ?? 'failed'));
    });
    const request: ActRequest = { op: 'act', action };
    socket.write(`${JSON.stringify(request)}\n`);
  });
}
