import {
  AppError,
  ChainActivationReplySchema,
  CostsQuerySchema,
  CostsReplySchema,
  ErrorReplySchema,
  ListOperatorTenantsQuerySchema,
  ListOperatorTenantsReplySchema,
  OperatorActivateBodySchema,
  OperatorChainVersionParamsSchema,
  OperatorTenantDetailSchema,
  OperatorTenantParamsSchema,
} from '@paddock/contracts';
import {
  activateTenantChainVersion,
  getOperatorTenant,
  listOperatorTenants,
  readOperatorTenantCosts,
} from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../../deps';
import { operatorOf, requireOperator } from '../../http/authenticate';
import { requestFacts } from '../../http/tenant-auth';

/** Tenants for operators: find them, see why one is parked (and which workflow to retry), override a chain version. */
export function registerOperatorTenantRoutes(app: FastifyInstance, deps: Pick<ApiDeps, 'prisma'>): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const onRequest = requireOperator(deps.prisma);
  const common = { tags: ['operator'], security: [{ bearer: [] }] };

  api.get(
    '/v1/operator/tenants',
    {
      onRequest,
      schema: {
        ...common,
        summary:
          'List tenants, newest first or sorted (name, slug, status); filter by status or a slug, name or email prefix',
        querystring: ListOperatorTenantsQuerySchema,
        response: { 200: ListOperatorTenantsReplySchema, 400: ErrorReplySchema, 401: ErrorReplySchema },
      },
    },
    async (request) => listOperatorTenants({ prisma: deps.prisma }, request.query),
  );

  api.get(
    '/v1/operator/tenants/:id',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'One tenant with its box, recent workflows, chains and recent audit entries',
        params: OperatorTenantParamsSchema,
        response: {
          200: OperatorTenantDetailSchema,
          400: ErrorReplySchema,
          401: ErrorReplySchema,
          404: ErrorReplySchema,
        },
      },
    },
    async (request) => {
      const tenant = await getOperatorTenant({ prisma: deps.prisma }, request.params.id);
      if (!tenant) throw new AppError('not_found', `There is no tenant ${request.params.id}.`);
      return tenant;
    },
  );

  api.get(
    '/v1/operator/tenants/:id/costs',
    {
      onRequest,
      schema: {
        ...common,
        summary: "One tenant's rated usage and box time for a period, grouped (what the tenant reads at /v1/costs)",
        params: OperatorTenantParamsSchema,
        querystring: CostsQuerySchema,
        response: { 200: CostsReplySchema, 400: ErrorReplySchema, 401: ErrorReplySchema, 404: ErrorReplySchema },
      },
    },
    async (request) => {
      const costs = await readOperatorTenantCosts({ prisma: deps.prisma }, request.params.id, request.query);
      if (!costs) throw new AppError('not_found', `There is no tenant ${request.params.id}.`);
      return costs;
    },
  );

  api.post(
    '/v1/operator/tenants/:tenantId/chains/:name/versions/:version/activate',
    {
      onRequest,
      schema: {
        ...common,
        summary: "Make a tenant's chain version active now (an override when staging did not pass it), saying why",
        description:
          'Audited with the operator as actor and the reason; on a version staging rejected (or has not finished) the ' +
          'reason is also kept on the version as an override, and such a version never counts as known-good. ' +
          '404 for an unknown tenant, chain or version. 409 `conflict` when the version is already active (nothing ' +
          'is written or audited: a repeated click is visible as such), when it is not on the box yet, or when the ' +
          'tenant is being deleted.',
        params: OperatorChainVersionParamsSchema,
        body: OperatorActivateBodySchema,
        response: {
          200: ChainActivationReplySchema,
          400: ErrorReplySchema,
          401: ErrorReplySchema,
          404: ErrorReplySchema,
          409: ErrorReplySchema,
        },
      },
    },
    async (request) => {
      const operator = operatorOf(request);
      return activateTenantChainVersion(
        { prisma: deps.prisma },
        { userId: operator.userId, email: operator.email },
        {
          tenantId: request.params.tenantId,
          chainName: request.params.name,
          version: request.params.version,
          reason: request.body.reason,
        },
        requestFacts(request),
      );
    },
  );
}
