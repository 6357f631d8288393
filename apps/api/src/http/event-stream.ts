import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** A Server-Sent Events response taken over from fastify, and a signal that aborts when the client leaves. */
export interface EventStream {
  raw: ServerResponse;
  left: AbortSignal;
}

/**
 * Starts a `text/event-stream` answer. Headers go out at once, not with the first event: a stream with nothing to
 * send yet would otherwise leave the client without an answer until its first keep-alive.
 */
export function openEventStream(request: FastifyRequest, reply: FastifyReply): EventStream {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-request-id': request.id,
  });
  raw.flushHeaders();
  const left = new AbortController();
  request.raw.on('close', () => left.abort());
  return { raw, left: left.signal };
}

/**
 * One Server-Sent Events frame. `data` is JSON (one line, so no `data:` continuation is needed); `id` and `event`
 * must not hold line breaks, which would end the field early: they are refused rather than sent half.
 */
export function sseFrame(frame: { id?: string; event?: string; data: unknown }): string {
  for (const field of [frame.id, frame.event]) {
    if (field !== undefined && /[\r\n]/.test(field))
      throw new Error('an SSE id or event name cannot hold a line break');
  }
  return `${frame.id === undefined ? '' : `id: ${frame.id}\n`}${frame.event === undefined ? '' : `event: ${frame.event}\n`}data: ${JSON.stringify(frame.data)}\n\n`;
}

/** A comment line: keeps the connection alive through proxies, ignored by clients. */
export const SSE_KEEP_ALIVE = ': keep-alive\n\n';
