import { ErrorReplySchema, CostsQuerySchema, CostsReplySchema } from '@paddock/contracts';
import { readTenantCosts } from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../../deps';
import { requireTenant, tenantOf } from '../../http/tenant-auth';

export function registerTenantCostRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get(
    '/v1/costs',
    {
      onRequest: requireTenant(deps.prisma),
      schema: {
        summary: 'What the control plane charged for a period, by chain, chain version, step, model, box or UTC day',
        tags: ['usage'],
        security: [{ bearer: [] }],
        querystring: CostsQuerySchema,
        response: { 200: CostsReplySchema, 400: ErrorReplySchema, 401: ErrorReplySchema },
      },
    },
    async (request) => readTenantCosts({ prisma: deps.prisma }, tenantOf(request).tenantId, request.query),
  );
}
