import {
  ErrorReplySchema,
  UuidParamsSchema,
  CreatePlanBodySchema,
  ListPlansQuerySchema,
  ListPlansReplySchema,
  PlanReplySchema,
  UpdatePlanBodySchema,
} from '@paddock/contracts';
import { createPlan, deactivatePlan, getPlan, listPlans, updatePlan } from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../../deps';
import { operatorOf, requireOperator } from '../../http/authenticate';
import { requestFacts } from '../../http/tenant-auth';

/** Plans for operators: fee, included usage, markups and limits (contracts' PlanLimitsSchema). Changes are audited. */
export function registerOperatorPlanRoutes(app: FastifyInstance, deps: Pick<ApiDeps, 'prisma'>): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const onRequest = requireOperator(deps.prisma);
  const common = { tags: ['operator'], security: [{ bearer: [] }] };
  const actor = (request: Parameters<typeof operatorOf>[0]) => {
    const operator = operatorOf(request);
    return { userId: operator.userId, email: operator.email };
  };

  api.get(
    '/v1/operator/plans',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'List plans (all, or only active / inactive ones)',
        querystring: ListPlansQuerySchema,
        response: { 200: ListPlansReplySchema, 400: ErrorReplySchema, 401: ErrorReplySchema },
      },
    },
    async (request) => ({ plans: await listPlans({ prisma: deps.prisma }, { active: request.query.active }) }),
  );

  api.get(
    '/v1/operator/plans/:id',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'One plan',
        params: UuidParamsSchema,
        response: { 200: PlanReplySchema, 400: ErrorReplySchema, 401: ErrorReplySchema, 404: ErrorReplySchema },
      },
    },
    async (request) => getPlan({ prisma: deps.prisma }, request.params.id),
  );

  api.post(
    '/v1/operator/plans',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Create a plan',
        body: CreatePlanBodySchema,
        response: { 201: PlanReplySchema, 400: ErrorReplySchema, 401: ErrorReplySchema, 409: ErrorReplySchema },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await createPlan({ prisma: deps.prisma }, actor(request), request.body, requestFacts(request))),
  );

  api.patch(
    '/v1/operator/plans/:id',
    {
      onRequest,
      schema: {
        ...common,
        summary: "Change a plan's fee, markups, limits or visibility (limits are replaced whole)",
        params: UuidParamsSchema,
        body: UpdatePlanBodySchema,
        response: { 200: PlanReplySchema, 400: ErrorReplySchema, 401: ErrorReplySchema, 404: ErrorReplySchema },
      },
    },
    async (request) =>
      updatePlan({ prisma: deps.prisma }, actor(request), request.params.id, request.body, requestFacts(request)),
  );

  api.post(
    '/v1/operator/plans/:id/deactivate',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Hide a plan from signups (its tenants keep it)',
        params: UuidParamsSchema,
        response: { 200: PlanReplySchema, 400: ErrorReplySchema, 401: ErrorReplySchema, 404: ErrorReplySchema },
      },
    },
    async (request) =>
      deactivatePlan({ prisma: deps.prisma }, actor(request), request.params.id, requestFacts(request)),
  );
}
