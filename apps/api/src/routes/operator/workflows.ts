import {
  AppError,
  ErrorReplySchema,
  UuidParamsSchema,
  ListWorkflowsQuerySchema,
  ListWorkflowsReplySchema,
  StartTenantWorkflowBodySchema,
  StartTenantWorkflowHeadersSchema,
  WorkflowDetailSchema,
  WorkflowRetriedReplySchema,
  WorkflowStartedReplySchema,
} from '@paddock/contracts';
import { getWorkflow, listWorkflows, retryTenantWorkflow, startTenantWorkflow } from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../../deps';
import { operatorOf, requireOperator } from '../../http/authenticate';
import { requestFacts } from '../../http/tenant-auth';

/** Tenant workflows for operators: see them (a parked one says why), retry a failed one, suspend/resume/delete. */
export function registerOperatorWorkflowRoutes(app: FastifyInstance, deps: Pick<ApiDeps, 'prisma' | 'queues'>): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const onRequest = requireOperator(deps.prisma);
  const security = [{ bearer: [] }];

  api.get(
    '/v1/operator/workflows',
    {
      onRequest,
      schema: {
        summary: 'List workflows (provision, suspend, resume, delete), newest first',
        tags: ['operator'],
        security,
        querystring: ListWorkflowsQuerySchema,
        response: { 200: ListWorkflowsReplySchema, 400: ErrorReplySchema, 401: ErrorReplySchema },
      },
    },
    async (request) => ({ workflows: await listWorkflows({ prisma: deps.prisma }, request.query) }),
  );

  api.get(
    '/v1/operator/workflows/:id',
    {
      onRequest,
      schema: {
        summary: 'One workflow with its steps and their job records',
        tags: ['operator'],
        security,
        params: UuidParamsSchema,
        response: { 200: WorkflowDetailSchema, 400: ErrorReplySchema, 401: ErrorReplySchema, 404: ErrorReplySchema },
      },
    },
    async (request) => {
      const workflow = await getWorkflow({ prisma: deps.prisma }, request.params.id);
      if (!workflow) throw new AppError('not_found', `No workflow ${request.params.id}.`);
      return workflow;
    },
  );

  api.post(
    '/v1/operator/workflows/:id/retry',
    {
      onRequest,
      schema: {
        summary: 'Retry a failed workflow from the step that failed (steps that succeeded are not run again)',
        tags: ['operator'],
        security,
        params: UuidParamsSchema,
        response: {
          202: WorkflowRetriedReplySchema,
          400: ErrorReplySchema,
          401: ErrorReplySchema,
          404: ErrorReplySchema,
          409: ErrorReplySchema,
        },
      },
    },
    async (request, reply) => {
      const operator = operatorOf(request);
      const result = await retryTenantWorkflow(
        deps,
        request.params.id,
        { userId: operator.userId, email: operator.email },
        requestFacts(request),
      );
      return reply.status(202).send(result);
    },
  );

  api.post(
    '/v1/operator/workflows',
    {
      onRequest,
      schema: {
        summary: 'Suspend, resume or delete a tenant (delete destroys its box and keeps its billing records)',
        tags: ['operator'],
        security,
        headers: StartTenantWorkflowHeadersSchema,
        body: StartTenantWorkflowBodySchema,
        response: {
          202: WorkflowStartedReplySchema,
          400: ErrorReplySchema,
          401: ErrorReplySchema,
          404: ErrorReplySchema,
          409: ErrorReplySchema,
        },
      },
    },
    async (request, reply) => {
      const operator = operatorOf(request);
      const result = await startTenantWorkflow(
        deps,
        { ...request.body, requestKey: request.headers['idempotency-key'] },
        { userId: operator.userId, email: operator.email },
        requestFacts(request),
      );
      return reply.status(202).send(result);
    },
  );
}
