import {
  AppError,
  EnqueuedReplySchema,
  EnqueueProbeBodySchema,
  ErrorReplySchema,
  JobRecordSchema,
  ListJobsQuerySchema,
  ListJobsReplySchema,
  UuidParamsSchema,
} from '@paddock/contracts';
import { enqueueProbe, getJobRecord, listJobRecords } from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../../deps';
import { operatorOf, requireOperator } from '../../http/authenticate';
import { requestFacts } from '../../http/tenant-auth';
import { toJobRecordReply } from './job-record-reply';

export function registerOperatorJobRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const onRequest = requireOperator(deps.prisma);
  const security = [{ bearer: [] }];

  api.get(
    '/v1/operator/jobs',
    {
      onRequest,
      schema: {
        summary: 'List job records, newest first',
        tags: ['operator'],
        security,
        querystring: ListJobsQuerySchema,
        response: { 200: ListJobsReplySchema, 400: ErrorReplySchema, 401: ErrorReplySchema },
      },
    },
    async (request) => ({ jobs: (await listJobRecords({ prisma: deps.prisma }, request.query)).map(toJobRecordReply) }),
  );

  api.get(
    '/v1/operator/jobs/:id',
    {
      onRequest,
      schema: {
        summary: 'One job record',
        tags: ['operator'],
        security,
        params: UuidParamsSchema,
        response: { 200: JobRecordSchema, 401: ErrorReplySchema, 404: ErrorReplySchema },
      },
    },
    async (request) => {
      const record = await getJobRecord({ prisma: deps.prisma }, request.params.id);
      if (!record) throw new AppError('not_found', `No job record ${request.params.id}.`);
      return toJobRecordReply(record);
    },
  );

  api.post(
    '/v1/operator/jobs/probe',
    {
      onRequest,
      schema: {
        summary: 'Enqueue a probe job that holds a worker for durationMs (checks the worker fleet end to end)',
        tags: ['operator'],
        security,
        body: EnqueueProbeBodySchema,
        response: { 202: EnqueuedReplySchema, 400: ErrorReplySchema, 401: ErrorReplySchema },
      },
    },
    async (request, reply) =>
      reply.status(202).send(await enqueueProbe(deps, request.body, operatorOf(request), requestFacts(request))),
  );
}
