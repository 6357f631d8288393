import { ErrorReplySchema, ListQuarantineQuerySchema, ListQuarantineReplySchema } from '@paddock/contracts';
import { listQuarantine } from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../../deps';
import { requireOperator } from '../../http/authenticate';

/** What boxes sent that the collector refused to store (quarantined, the box's collection went on past it). */
export function registerOperatorQuarantineRoutes(app: FastifyInstance, deps: Pick<ApiDeps, 'prisma'>): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get(
    '/v1/operator/quarantine',
    {
      onRequest: requireOperator(deps.prisma),
      schema: {
        tags: ['operator'],
        security: [{ bearer: [] }],
        summary: 'Quarantined box events, newest first (filter by tenant, box or reason)',
        description:
          'Events a box sent that were not stored: a serve line or event over its size limit, a malformed event, ' +
          'numbers no column holds (seq, tokens, cost), deep `data`, a run id of another box. Each names the box, ' +
          'the tenant, the event where known (run id, seq, cursor), a reason code and at most 2 KiB of what was sent.',
        querystring: ListQuarantineQuerySchema,
        response: { 200: ListQuarantineReplySchema, 400: ErrorReplySchema, 401: ErrorReplySchema },
      },
    },
    async (request) => listQuarantine({ prisma: deps.prisma }, request.query),
  );
}
