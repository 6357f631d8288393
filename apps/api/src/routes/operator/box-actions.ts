import { ErrorReplySchema, UuidParamsSchema } from '@paddock/contracts';
import { BoxActionBodySchema, BoxRebootstrapReplySchema, BoxRollbackReplySchema } from '@paddock/contracts';
import { requestBoxRebootstrap, requestBoxRollback } from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../../deps';
import { operatorOf, requireOperator } from '../../http/authenticate';
import { requestFacts } from '../../http/tenant-auth';

/** A box's maintenance on an operator's demand, each audited and done by a job: roll back, bootstrap again. */
export function registerOperatorBoxActionRoutes(app: FastifyInstance, deps: Pick<ApiDeps, 'prisma' | 'queues'>): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const onRequest = requireOperator(deps.prisma);
  const common = {
    tags: ['operator'],
    security: [{ bearer: [] }],
    params: UuidParamsSchema,
    body: BoxActionBodySchema,
  };
  const errors = {
    400: ErrorReplySchema,
    401: ErrorReplySchema,
    403: ErrorReplySchema,
    404: ErrorReplySchema,
    409: ErrorReplySchema,
  };
  const operator = (request: Parameters<typeof operatorOf>[0]) => {
    const o = operatorOf(request);
    return { userId: o.userId, email: o.email };
  };

  api.post(
    '/v1/operator/boxes/:id/rollback',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Put a box back on the release it ran before its current one (a job; audited)',
        response: { 202: BoxRollbackReplySchema, ...errors },
      },
    },
    async (request, reply) => {
      const result = await requestBoxRollback(
        deps,
        { boxId: request.params.id, reason: request.body.reason },
        operator(request),
        requestFacts(request),
      );
      return reply.status(202).send(result);
    },
  );

  api.post(
    '/v1/operator/boxes/:id/bootstrap',
    {
      onRequest,
      schema: {
        ...common,
        summary: "Run a box's idempotent bootstrap again (a job; audited)",
        response: { 202: BoxRebootstrapReplySchema, ...errors },
      },
    },
    async (request, reply) => {
      const result = await requestBoxRebootstrap(
        deps,
        { boxId: request.params.id, reason: request.body.reason },
        operator(request),
        requestFacts(request),
      );
      return reply.status(202).send(result);
    },
  );
}
