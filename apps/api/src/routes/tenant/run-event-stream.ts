import { once } from 'node:events';
import { type RunEventPage, readRunEvents, runIsOver } from '@paddock/services';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../../deps';
import { openEventStream, writeComment, writeEvent } from '../../http/event-stream';

/** Longest wait between two reads: the collector's commit wakes the stream sooner (change feed). */
const REREAD_MS = 2_000;
const HEARTBEAT_MS = 15_000;
const MAX_STREAM_MS = 30 * 60_000;

/**
 * Server-Sent Events of a run's stored events: what the collector writes to Postgres is pushed as it lands (each of
 * its commits touching the run wakes the stream; a read every 2 s covers a lost notification), until the run has
 * ended and everything was sent, or the client leaves. A client that reconnects passes the last id it saw as `after`.
 */
export async function streamRunEvents(
  deps: Pick<ApiDeps, 'prisma' | 'changes'>,
  request: FastifyRequest,
  reply: FastifyReply,
  input: { tenantId: string; runId: string; after: number; first: RunEventPage },
): Promise<void> {
  const { raw, left } = openEventStream(request, reply);
  const { prisma } = deps;
  // Watching before the first read: a batch committed while it runs wakes the loop again.
  const watch = deps.changes.watch({ kind: 'run', runId: input.runId });
  let after = input.after;
  const send = (page: RunEventPage) => {
    for (const event of page.events) {
      writeEvent(raw, { id: event.seq, event: 'run_event', data: event });
      after = Math.max(after, event.seq);
    }
  };
  send(input.first);
  const started = Date.now();
  let lastWrite = Date.now();
  try {
    while (!left.aborted && Date.now() - started < MAX_STREAM_MS) {
      const page = await readRunEvents({ prisma }, input.tenantId, input.runId, { after, limit: 500 });
      send(page);
      // Backpressure: a client reading slowly must not make this process buffer page after page for it.
      if (raw.writableNeedDrain) await once(raw, 'drain', { signal: left }).catch(() => undefined);
      if (page.events.length > 0) lastWrite = Date.now();
      if (page.nextAfter !== null) continue;
      if (page.events.length === 0 && (await runIsOver({ prisma }, input.tenantId, input.runId))) {
        // The run's final events may land in the same batch as its status: one last read after seeing it over.
        send(await readRunEvents({ prisma }, input.tenantId, input.runId, { after, limit: 1000 }));
        writeEvent(raw, { event: 'end', data: {} });
        break;
      }
      if (Date.now() - lastWrite > HEARTBEAT_MS) {
        writeComment(raw, 'keep-alive');
        lastWrite = Date.now();
      }
      await watch.next(REREAD_MS, left);
    }
  } catch (error) {
    request.log.error({ err: error }, 'run event stream failed');
    if (!left.aborted) writeEvent(raw, { event: 'error', data: { code: 'internal', requestId: request.id } });
  } finally {
    watch.close();
    raw.end();
  }
}
