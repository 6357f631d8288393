import {
  AppError,
  ErrorReplySchema,
  UuidParamsSchema,
  ListReleasesReplySchema,
  ListRolloutsQuerySchema,
  ListRolloutsReplySchema,
  PublishReleaseBodySchema,
  PublishReleaseReplySchema,
  RolloutActionParamsSchema,
  RolloutActionReplySchema,
  RolloutDetailSchema,
  RolloutStartedReplySchema,
  StartRolloutBodySchema,
} from '@paddock/contracts';
import {
  controlRollout,
  getRollout,
  listReleases,
  listRollouts,
  requestReleasePublish,
  startRollout,
} from '@paddock/services';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../../deps';
import { operatorOf, requireOperator } from '../../http/authenticate';
import { streamRollout } from './rollout-stream';

const errors = { 400: ErrorReplySchema, 401: ErrorReplySchema, 404: ErrorReplySchema };

function actorOf(request: FastifyRequest) {
  const operator = operatorOf(request);
  const userAgent = request.headers['user-agent'];
  return {
    userId: operator.userId,
    email: operator.email,
    ip: request.ip,
    requestId: request.id,
    ...(userAgent ? { userAgent } : {}),
  };
}

/** Releases and fleet rollouts for operators: start one, watch it box by box, pause / resume / abort it. */
export function registerOperatorRolloutRoutes(
  app: FastifyInstance,
  deps: Pick<ApiDeps, 'prisma' | 'queues' | 'changes'>,
): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const onRequest = requireOperator(deps.prisma);
  const common = { tags: ['operator'], security: [{ bearer: [] }] };

  api.get(
    '/v1/operator/releases',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Published runtime releases, newest first; `current` is what new boxes get',
        response: { 200: ListReleasesReplySchema, ...errors },
      },
    },
    async () => ({ releases: await listReleases({ prisma: deps.prisma }) }),
  );

  api.post(
    '/v1/operator/releases',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Build a release from the runtime source (a worker job); it is not promoted until a rollout succeeds',
        body: PublishReleaseBodySchema,
        response: { 202: PublishReleaseReplySchema, ...errors },
      },
    },
    async (request, reply) => reply.status(202).send(await requestReleasePublish(deps, request.body, actorOf(request))),
  );

  api.get(
    '/v1/operator/rollouts',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Rollouts, newest first',
        querystring: ListRolloutsQuerySchema,
        response: { 200: ListRolloutsReplySchema, ...errors },
      },
    },
    async (request) => ({ rollouts: await listRollouts({ prisma: deps.prisma }, request.query.limit) }),
  );

  api.post(
    '/v1/operator/rollouts',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Roll a release out to the fleet: canary first, then batches, stopping and rolling back on failures',
        description:
          'Fixes the boxes (every ready box not on the release, or `boxIds`) and their batches now, then deploys them ' +
          'through the workers: the canary batch first (any failure there stops and rolls back), then batches of ' +
          '`batchSize` with `concurrency` boxes at once, until `maxFailures` boxes failed (stop and roll back every ' +
          'box it moved) or all succeeded (the release is promoted: new boxes get it). One rollout at a time (409).',
        body: StartRolloutBodySchema,
        response: { 202: RolloutStartedReplySchema, ...errors, 409: ErrorReplySchema, 422: ErrorReplySchema },
      },
    },
    async (request, reply) => {
      const started = await startRollout(deps, request.body, actorOf(request));
      return reply.status(202).send(started);
    },
  );

  api.get(
    '/v1/operator/rollouts/:id',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'One rollout with each box: batch, status, deploy, error',
        params: UuidParamsSchema,
        response: { 200: RolloutDetailSchema, ...errors },
      },
    },
    async (request) => {
      const rollout = await getRollout({ prisma: deps.prisma }, request.params.id);
      if (!rollout) throw new AppError('not_found', `No rollout ${request.params.id}.`);
      return rollout;
    },
  );

  api.get(
    '/v1/operator/rollouts/:id/events',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'A rollout as Server-Sent Events: its whole state at once, then each time a box moves on',
        description:
          'A `rollout` event (the same body as GET /v1/operator/rollouts/:id) on connect and after every change, ' +
          'keep-alive comments while nothing moves; the stream ends when the rollout has ended.',
        params: UuidParamsSchema,
        produces: ['text/event-stream'],
        response: { 200: z.string().describe('text/event-stream'), ...errors },
      },
    },
    async (request, reply) => {
      if (!(await getRollout({ prisma: deps.prisma }, request.params.id))) {
        throw new AppError('not_found', `No rollout ${request.params.id}.`);
      }
      await streamRollout(deps, request, reply, request.params.id);
    },
  );

  api.post(
    '/v1/operator/rollouts/:id/:action',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Pause (between boxes), resume, or abort (stop and roll back every box it moved) a rollout',
        params: RolloutActionParamsSchema,
        response: { 202: RolloutActionReplySchema, ...errors, 409: ErrorReplySchema },
      },
    },
    async (request, reply) => {
      const result = await controlRollout(deps, request.params.id, request.params.action, actorOf(request));
      return reply.status(202).send(result);
    },
  );
}
