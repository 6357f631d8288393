import {
  ErrorReplySchema,
  ListRunsQuerySchema,
  ListRunsReplySchema,
  ReplayRunBodySchema,
  RunActionReplySchema,
  RunDetailSchema,
  RunEventsQuerySchema,
  RunEventsReplySchema,
  RunParamsSchema,
  RunSummarySchema,
  StartRunBodySchema,
  StartRunHeadersSchema,
  StepOutputParamsSchema,
  StepOutputQuerySchema,
} from '@paddock/contracts';
import {
  cancelRun,
  getRun,
  listRunEvents,
  listRuns,
  readStepOutput,
  replayRun,
  startRun,
  startRunOnce,
} from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../../deps';
import { requestFacts, requireTenant, tenantOf } from '../../http/tenant-auth';
import { streamRunEvents } from './run-event-stream';
import { registerStepTerminalRoute } from './step-terminal-route';

const errors = { 400: ErrorReplySchema, 401: ErrorReplySchema, 403: ErrorReplySchema, 404: ErrorReplySchema };
const boxErrors = { ...errors, 409: ErrorReplySchema, 422: ErrorReplySchema, 503: ErrorReplySchema };

export function registerTenantRunRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const onRequest = requireTenant(deps.prisma);
  const common = { tags: ['runs'], security: [{ bearer: [] }] };

  api.post(
    '/v1/runs',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Start a run of a chain (by name: its active version, else its newest; or one version by id)',
        description:
          'The run is created on the workspace box and answered at once (status `queued`); follow it with ' +
          'GET /v1/runs/:id or its events. Chains whose definition references files need to be synced to the box first. ' +
          'Send an Idempotency-Key (a fresh UUID per run) and repeat it when retrying after a timeout: the same key ' +
          'and body within 24 hours answer the same run (with `idempotent-replayed: true`) instead of starting ' +
          'another, also when the requests run at once; the same key with another body is a 409 idempotency_conflict. ' +
          "Past the plan's concurrent runs: 409 plan_limit_reached; past a hard monthly spend cap: 402 " +
          'spend_cap_reached (details name the limit, the current figure and the maximum).',
        headers: StartRunHeadersSchema,
        body: StartRunBodySchema,
        response: { 201: RunSummarySchema, 402: ErrorReplySchema, ...boxErrors },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      const actor = tenantOf(request);
      if (key === undefined) {
        const run = await startRun({ prisma: deps.prisma }, deps.boxes, actor, request.body, requestFacts(request));
        return reply.status(201).send(run);
      }
      const outcome = await startRunOnce(
        { prisma: deps.prisma },
        deps.boxes,
        actor,
        request.body,
        key,
        requestFacts(request),
      );
      if (outcome.replayed) reply.header('idempotent-replayed', 'true');
      return reply.status(201).send(outcome.run);
    },
  );

  api.get(
    '/v1/runs',
    {
      onRequest,
      schema: {
        ...common,
        summary: "The workspace's runs, newest first (filters: status, chain name, created since)",
        querystring: ListRunsQuerySchema,
        response: { 200: ListRunsReplySchema, ...errors },
      },
    },
    async (request) => listRuns({ prisma: deps.prisma }, tenantOf(request).tenantId, request.query),
  );

  api.get(
    '/v1/runs/:id',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'One run: status, its steps with every attempt (duration, tokens, cost), and pending decisions',
        params: RunParamsSchema,
        response: { 200: RunDetailSchema, ...errors },
      },
    },
    async (request) => getRun({ prisma: deps.prisma }, tenantOf(request).tenantId, request.params.id),
  );

  api.get(
    '/v1/runs/:id/events',
    {
      onRequest,
      schema: {
        ...common,
        summary: "A run's events in order, a page at a time (or streamed as Server-Sent Events with follow=true)",
        description:
          'Pages: pass the last `seq` as `after`. With `follow=true` the answer is `text/event-stream`: every stored ' +
          'event as `event: run_event` (id = seq), until the run has ended and every event was sent.',
        params: RunParamsSchema,
        querystring: RunEventsQuerySchema,
        response: { 200: RunEventsReplySchema, ...errors },
      },
    },
    async (request, reply) => {
      const tenantId = tenantOf(request).tenantId;
      const page = await listRunEvents({ prisma: deps.prisma }, tenantId, request.params.id, request.query);
      if (request.query.follow === 'false') return page;
      return streamRunEvents(deps, request, reply, {
        tenantId,
        runId: request.params.id,
        after: request.query.after,
        first: page,
      });
    },
  );

  api.get(
    '/v1/runs/:id/steps/:step/output',
    {
      onRequest,
      schema: {
        ...common,
        summary: "A step's output as the box keeps it (text, at most maxBytes from its start)",
        description:
          "Read from the box and streamed: the current attempt's output, or the one named by `attempt` (every " +
          'attempt keeps its own). `x-output-attempt` names the attempt read, `x-output-bytes` gives the whole ' +
          'size, `x-output-truncated` whether only the first maxBytes are sent.',
        params: StepOutputParamsSchema,
        querystring: StepOutputQuerySchema,
        response: { 200: z.string().describe('the output, text/plain'), ...boxErrors },
      },
    },
    async (request, reply) => {
      const output = await readStepOutput(
        { prisma: deps.prisma },
        deps.boxes,
        tenantOf(request).tenantId,
        request.params.id,
        request.params.step,
        request.query.maxBytes,
        request.query.attempt,
      );
      return (
        reply
          .type('text/plain; charset=utf-8')
          .header('x-output-attempt', String(output.attempt))
          .header('x-output-bytes', String(output.size))
          .header('x-output-truncated', String(output.truncated))
          // Piped as it comes from the box; the schema above documents the text it carries.
          .send(output.stream as unknown as string)
      );
    },
  );

  registerStepTerminalRoute(app, deps);

  api.post(
    '/v1/runs/:id/replay',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Run a run again from one step on (that step and everything after it)',
        description:
          'Each replayed step runs as its next attempt; the replaced attempts (and their events) stay as history, ' +
          'and the run lists them under `steps[].attempts`. The answer is the run as it is now: reopened ' +
          '(`running`, `finishedAt` null) until the replayed steps end.',
        params: RunParamsSchema,
        body: ReplayRunBodySchema,
        response: { 202: RunActionReplySchema, 402: ErrorReplySchema, ...boxErrors },
      },
    },
    async (request, reply) => {
      const result = await replayRun(
        { prisma: deps.prisma },
        deps.boxes,
        tenantOf(request),
        request.params.id,
        request.body.from,
        requestFacts(request),
      );
      return reply.status(202).send(result);
    },
  );

  api.post(
    '/v1/runs/:id/cancel',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Cancel a run: running steps are stopped, pending decisions end',
        params: RunParamsSchema,
        response: { 202: RunActionReplySchema, ...boxErrors },
      },
    },
    async (request, reply) => {
      const result = await cancelRun(
        { prisma: deps.prisma },
        deps.boxes,
        tenantOf(request),
        request.params.id,
        requestFacts(request),
      );
      return reply.status(202).send(result);
    },
  );
}
