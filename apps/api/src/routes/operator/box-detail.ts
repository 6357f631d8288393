import { ErrorReplySchema, UuidParamsSchema } from '@paddock/contracts';
import { BoxDetailReplySchema } from '@paddock/contracts';
import { getBoxDetail } from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../../deps';
import { requireOperator } from '../../http/authenticate';

/** One box for the console's box page: host keys, release, and its latest deploys with their log tails. */
export function registerOperatorBoxDetailRoutes(app: FastifyInstance, deps: Pick<ApiDeps, 'prisma'>): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/operator/boxes/:id',
    {
      onRequest: requireOperator(deps.prisma),
      schema: {
        summary: 'One box: host key (pinned and pending), release, and its latest 20 deploys with log tails',
        tags: ['operator'],
        security: [{ bearer: [] }],
        params: UuidParamsSchema,
        response: { 200: BoxDetailReplySchema, 400: ErrorReplySchema, 401: ErrorReplySchema, 404: ErrorReplySchema },
      },
    },
    async (request) => getBoxDetail({ prisma: deps.prisma }, request.params.id),
  );
}
