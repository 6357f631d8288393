import {
  BoxExecBodySchema,
  BoxExecReplySchema,
  BoxHealthReplySchema,
  ErrorReplySchema,
  RepinHostKeyBodySchema,
  RepinHostKeyReplySchema,
  UuidParamsSchema,
} from '@paddock/contracts';
import { getBoxHealth, repinBoxHostKey, runOperatorBoxCommand } from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../../deps';
import { operatorActing, requireOperator } from '../../http/authenticate';

/** Box health for operators: how the collector judged a box, and re-pinning a changed host key after checking it. */
export function registerOperatorBoxRoutes(app: FastifyInstance, deps: Pick<ApiDeps, 'prisma' | 'vault' | 'ssh'>): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const onRequest = requireOperator(deps.prisma);
  const security = [{ bearer: [] }];

  api.get(
    '/v1/operator/boxes/:id/health',
    {
      onRequest,
      schema: {
        summary: "A box's status, its last health answer and figures, and its reconnect backoff",
        tags: ['operator'],
        security,
        params: UuidParamsSchema,
        response: { 200: BoxHealthReplySchema, 400: ErrorReplySchema, 401: ErrorReplySchema, 404: ErrorReplySchema },
      },
    },
    async (request) => getBoxHealth({ prisma: deps.prisma }, request.params.id),
  );

  api.post(
    '/v1/operator/boxes/:id/host-key',
    {
      onRequest,
      schema: {
        summary: "Re-pin a box's SSH host key after checking it (the box must present it; audited)",
        tags: ['operator'],
        security,
        params: UuidParamsSchema,
        body: RepinHostKeyBodySchema,
        response: {
          200: RepinHostKeyReplySchema,
          400: ErrorReplySchema,
          401: ErrorReplySchema,
          404: ErrorReplySchema,
          409: ErrorReplySchema,
          503: ErrorReplySchema,
        },
      },
    },
    async (request) => repinBoxHostKey(deps, { boxId: request.params.id, ...request.body }, operatorActing(request)),
  );

  api.post(
    '/v1/operator/boxes/:id/exec',
    {
      onRequest,
      schema: {
        summary: "Run one command on a box as its admin user, over the pinned host key (audited; output's last MiB)",
        tags: ['operator'],
        security,
        params: UuidParamsSchema,
        body: BoxExecBodySchema,
        response: {
          200: BoxExecReplySchema,
          400: ErrorReplySchema,
          401: ErrorReplySchema,
          403: ErrorReplySchema,
          404: ErrorReplySchema,
          409: ErrorReplySchema,
          503: ErrorReplySchema,
        },
      },
    },
    async (request) =>
      runOperatorBoxCommand(deps, { boxId: request.params.id, ...request.body }, operatorActing(request)),
  );
}
