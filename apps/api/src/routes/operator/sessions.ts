import { ErrorReplySchema, OperatorLoginBodySchema, OperatorSessionReplySchema } from '@paddock/contracts';
import { loginOperator, logoutOperator } from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../../deps';
import { operatorOf, requireOperator } from '../../http/authenticate';

export function registerOperatorSessionRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.post(
    '/v1/operator/sessions',
    {
      schema: {
        summary: 'Log in as an operator',
        tags: ['operator'],
        body: OperatorLoginBodySchema,
        response: { 201: OperatorSessionReplySchema, 400: ErrorReplySchema, 401: ErrorReplySchema },
      },
    },
    async (request, reply) => {
      const session = await loginOperator(deps.prisma, {
        ...request.body,
        ipAddress: request.ip,
        userAgent: request.headers['user-agent'],
      });
      return reply.status(201).send({ ...session, expiresAt: session.expiresAt.toISOString() });
    },
  );

  api.delete(
    '/v1/operator/sessions/current',
    {
      onRequest: requireOperator(deps.prisma),
      schema: {
        summary: 'Log out (revoke this session)',
        tags: ['operator'],
        security: [{ bearer: [] }],
        response: { 204: z.null(), 401: ErrorReplySchema },
      },
    },
    async (request, reply) => {
      await logoutOperator(deps.prisma, operatorOf(request).sessionId);
      return reply.status(204).send(null);
    },
  );
}
