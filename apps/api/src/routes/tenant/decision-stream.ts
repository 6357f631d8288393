import { type PendingDecisionChange, watchPendingDecisions } from '@paddock/services';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../../deps';
import { openEventStream, writeComment, writeEvent } from '../../http/event-stream';

const KEEP_ALIVE_MS = 15_000;
/** A stream ends after this long; EventSource clients reconnect by themselves and get the pending set again. */
const MAX_STREAM_MS = 30 * 60_000;

/**
 * Server-Sent Events of a tenant's pending decisions: `decision` for each pending one (all of them first, then each
 * new one as the collector commits it), `decision_closed` when one is answered or canceled, comments to keep the
 * connection alive. Events carry the decision's id as their SSE id: a reconnecting client can tell what it has seen.
 */
export async function streamPendingDecisions(
  deps: ApiDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  input: { tenantId: string; outputBytes: number },
): Promise<void> {
  const { raw, left } = openEventStream(request, reply);
  raw.write('retry: 1000\n\n');
  const stop = new AbortController();
  left.addEventListener('abort', () => stop.abort(), { once: true });
  const deadline = setTimeout(() => stop.abort(), MAX_STREAM_MS);
  const emit = (change: PendingDecisionChange) => {
    if (change.type === 'pending') {
      writeEvent(raw, { id: change.decision.id, event: 'decision', data: change.decision });
    } else if (change.type === 'closed') {
      writeEvent(raw, { id: change.id, event: 'decision_closed', data: change });
    } else {
      writeComment(raw, 'keep-alive');
    }
  };
  try {
    await watchPendingDecisions(
      deps,
      { tenantId: input.tenantId, outputBytes: input.outputBytes, signal: stop.signal, idleMs: KEEP_ALIVE_MS },
      emit,
    );
  } catch (error) {
    request.log.error({ err: error }, 'decision stream failed');
    if (!stop.signal.aborted) {
      writeEvent(raw, { event: 'error', data: { code: 'internal', requestId: request.id } });
    }
  } finally {
    clearTimeout(deadline);
    raw.end();
  }
}
