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
