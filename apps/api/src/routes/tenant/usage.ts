import { ErrorReplySchema, UsageQuerySchema, UsageReplySchema } from '@paddock/contracts';
import { readUsage } from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../../deps';
import { requireTenant, tenantOf } from '../../http/tenant-auth';

export function registerTenantUsageRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get(
    '/v1/usage',
    {
      onRequest: requireTenant(deps.prisma),
      schema: {
        summary: 'Tokens and cost for a period, by UTC day, chain, step or model (money in minor units)',
        tags: ['usage'],
        security: [{ bearer: [] }],
        querystring: UsageQuerySchema,
        response: { 200: UsageReplySchema, 400: ErrorReplySchema, 401: ErrorReplySchema },
      },
    },
    async (request) => {
      const report = await readUsage({ prisma: deps.prisma }, tenantOf(request).tenantId, request.query);
      return { ...report, from: report.from.toISOString(), to: report.to.toISOString() };
    },
  );
}
