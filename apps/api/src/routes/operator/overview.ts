import { ErrorReplySchema, OperatorOverviewReplySchema } from '@paddock/contracts';
import { readOperatorOverview } from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../../deps';
import { requireOperator } from '../../http/authenticate';

export function registerOperatorOverviewRoutes(app: FastifyInstance, deps: Pick<ApiDeps, 'prisma'>): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/operator/overview',
    {
      onRequest: requireOperator(deps.prisma),
      schema: {
        summary: 'Tenants by status, boxes by status, open alerts by severity, rollouts in progress',
        tags: ['operator'],
        security: [{ bearer: [] }],
        response: { 200: OperatorOverviewReplySchema, 401: ErrorReplySchema },
      },
    },
    async () => readOperatorOverview({ prisma: deps.prisma }),
  );
}
