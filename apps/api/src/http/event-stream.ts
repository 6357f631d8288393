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
  // A client that left while the stream was being prepared (a box asked first) sends no 'close' any more.
  if (request.raw.socket?.destroyed) left.abort();
  return { raw, left: left.signal };
}

/** One Server-Sent Event. `data` is sent as one JSON line (JSON never holds a raw newline, so it needs no splitting). */
export interface SseFrame {
  event: string;
  id?: string | number;
  data: unknown;
}

/**
 * Writes one event: the only place SSE frames are put together. `id` must be a single line (numbers and our ids are).
 * Returns what `write` returned: false means the client is reading slower than we write (wait for `drain`).
 */
export function writeEvent(raw: ServerResponse, frame: SseFrame): boolean {
  const id = frame.id === undefined ? '' : `id: ${String(frame.id).replace(/[\r\n]/g, '')}\n`;
  return raw.write(`${id}event: ${frame.event}\ndata: ${JSON.stringify(frame.data)}\n\n`);
}

/** A comment line (keep-alive): clients ignore it, proxies see traffic. */
export function writeComment(raw: ServerResponse, text: string): boolean {
  return raw.write(`: ${text.replace(/[\r\n]/g, ' ')}\n\n`);
}
