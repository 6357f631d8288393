import { AuditPageReplySchema, AuditQuerySchema, ErrorReplySchema } from '@paddock/contracts';
import { searchAudit } from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../../deps';
import { requireOperator } from '../../http/authenticate';

/** The audit log for operators: newest first, filtered and paged on the server (every role may read it). */
export function registerOperatorAuditRoutes(app: FastifyInstance, deps: Pick<ApiDeps, 'prisma'>): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/operator/audit',
    {
      onRequest: requireOperator(deps.prisma),
      schema: {
        summary: 'Search the audit log (actor, tenant, action or `prefix.`, target, time range; cursor pages)',
        tags: ['operator'],
        security: [{ bearer: [] }],
        querystring: AuditQuerySchema,
        response: { 200: AuditPageReplySchema, 400: ErrorReplySchema, 401: ErrorReplySchema },
      },
    },
    async (request) => searchAudit({ prisma: deps.prisma }, request.query),
  );
}
