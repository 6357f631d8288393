import { type BoxTerminalEnd, openStepTerminal, TerminalSlots } from '@paddock/services';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../../deps';
import { type EventStream, openEventStream, writeComment, writeEvent } from '../../http/event-stream';
import { DEFAULT_TERMINAL_SETTINGS } from '../../http/terminal-settings';

const KEEP_ALIVE_MS = 15_000;
/** A stream ends after this long (reason `timeout`); a client opens a new one, which replays the tail again. */
const MAX_STREAM_MS = 30 * 60_000;

type Outcome = BoxTerminalEnd | { reason: 'timeout' | 'client_left' | 'shutdown' };

/**
 * The SSE answer of `GET /v1/runs/:id/steps/:step/terminal`: `start`, the log's bytes as `output` events (replay of
 * its tail, then live), `end` when the attempt is over. The box is read only as fast as this client reads: a write
 * the socket cannot take pauses the box's channel until it drains. A client that leaves closes the box's follow.
 */
export function terminalStreamRoute(deps: ApiDeps) {
  const settings = { ...DEFAULT_TERMINAL_SETTINGS, ...deps.terminals };
  const slots = new TerminalSlots({ redis: deps.redis, keyPrefix: deps.redisPrefix, limit: settings.streamsPerTenant });
  /** Open streams, so a shutdown can end them (the server waits for requests in flight, and these last long). */
  const open = new Set<(outcome: Outcome) => void>();
  const shutdown = () => {
    for (const settle of open) settle({ reason: 'shutdown' });
  };

  const route = async (
    request: FastifyRequest,
    reply: FastifyReply,
    input: { tenantId: string; runId: string; step: string; attempt?: number },
  ): Promise<void> => {
    let stream: EventStream | undefined;
    /** The next byte of the log not sent yet. */
    let next = 0;
    /** The box is paused until the socket drains. */
    let waiting = false;
    let settle: (outcome: Outcome) => void = () => {};
    const outcome = new Promise<Outcome>((resolve) => {
      settle = resolve;
    });
    // Errors before the box's answer (unknown run or step, no slot, box down) are ordinary JSON error replies.
    const opened = await openStepTerminal(
      { prisma: deps.prisma },
      deps.boxes,
      slots,
      { ...input, tailBytes: settings.tailBytes, maxBytes: settings.maxStreamBytes },
      {
        onChunk: (offset, data) => {
          const raw = stream?.raw;
          if (!raw || raw.destroyed) return;
          next = offset + data.length;
          const writable = writeEvent(raw, {
            event: 'output',
            id: offset + data.length,
            data: { offset, data: data.toString('base64') },
          });
          if (!writable && !waiting) {
            waiting = true;
            opened.terminal.pause();
            raw.once('drain', () => {
              waiting = false;
              opened.terminal.resume();
            });
          }
        },
        onEnd: (end) => settle(end),
      },
    );
    let keepAlive: NodeJS.Timeout | undefined;
    let deadline: NodeJS.Timeout | undefined;
    open.add(settle);
    try {
      stream = openEventStream(request, reply);
      const { raw, left } = stream;
      left.addEventListener('abort', () => settle({ reason: 'client_left' }), { once: true });
      if (left.aborted) settle({ reason: 'client_left' });
      deadline = setTimeout(() => settle({ reason: 'timeout' }), MAX_STREAM_MS);
      keepAlive = setInterval(() => writeComment(raw, 'keep-alive'), KEEP_ALIVE_MS);
      const { attempt, size, start } = opened.terminal.opened;
      next = start;
      writeEvent(raw, {
        event: 'start',
        data: { runId: input.runId, step: input.step, attempt, size, offset: start, skippedBytes: start },
      });
      opened.terminal.begin();
      const end = await outcome;
      if (end.reason === 'client_left') return;
      if (end.reason === 'timeout' || end.reason === 'shutdown') {
        const reason = end.reason === 'timeout' ? 'timeout' : 'stopped';
        writeEvent(raw, { event: 'end', data: { reason, offset: next, status: null } });
        return;
      }
      if (end.reason !== 'ended') request.log.warn({ end }, 'terminal stream ended early');
      writeEvent(raw, { event: 'end', data: end });
    } finally {
      open.delete(settle);
      clearInterval(keepAlive);
      clearTimeout(deadline);
      await opened.close().catch((error: unknown) => request.log.error({ err: error }, 'closing a terminal failed'));
      stream?.raw.end();
    }
  };
  return { route, shutdown };
}
