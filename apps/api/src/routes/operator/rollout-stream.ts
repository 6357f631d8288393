import { watchRollout } from '@paddock/services';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../../deps';
import { openEventStream, SSE_KEEP_ALIVE, sseFrame } from '../../http/event-stream';

const KEEP_ALIVE_MS = 15_000;
/** A rollout can outlast a connection: the stream ends after this long, and the client reconnects. */
const MAX_STREAM_MS = 30 * 60_000;

/** Server-Sent Events of one rollout (`rollout` frames with its whole state), until it ends or the client leaves. */
export async function streamRollout(
  deps: Pick<ApiDeps, 'prisma' | 'changes'>,
  request: FastifyRequest,
  reply: FastifyReply,
  rolloutId: string,
): Promise<void> {
  const { raw, left } = openEventStream(request, reply);
  raw.write('retry: 1000\n\n');
  const stop = new AbortController();
  left.addEventListener('abort', () => stop.abort(), { once: true });
  const deadline = setTimeout(() => stop.abort(), MAX_STREAM_MS);
  try {
    await watchRollout(deps, { rolloutId, signal: stop.signal, idleMs: KEEP_ALIVE_MS }, (update) => {
      raw.write(update.type === 'rollout' ? sseFrame({ event: 'rollout', data: update.rollout }) : SSE_KEEP_ALIVE);
    });
  } catch (error) {
    request.log.error({ err: error }, 'rollout stream failed');
    if (!stop.signal.aborted)
      raw.write(sseFrame({ event: 'error', data: { code: 'internal', requestId: request.id } }));
  } finally {
    clearTimeout(deadline);
    raw.end();
  }
}
