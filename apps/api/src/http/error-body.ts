import { type ErrorCode, type ErrorDetail, httpStatusFor } from '@paddock/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';

export function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  code: ErrorCode,
  message: string,
  details?: ErrorDetail[],
): FastifyReply {
  return reply.status(httpStatusFor(code)).send({
    error: { code, message, ...(details && details.length > 0 ? { details } : {}), requestId: request.id },
  });
}
