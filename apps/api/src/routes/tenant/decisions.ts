import {
  ErrorReplySchema,
  DecideBodySchema,
  DecisionParamsSchema,
  DecisionReplySchema,
  ListDecisionsQuerySchema,
  ListDecisionsReplySchema,
  MAX_DECISION_OUTPUT_BYTES,
} from '@paddock/contracts';
import { decide, getDecision, listDecisions } from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../../deps';
import { requestFacts, requireTenant, tenantOf } from '../../http/tenant-auth';
import { streamPendingDecisions } from './decision-stream';

const errors = { 400: ErrorReplySchema, 401: ErrorReplySchema, 403: ErrorReplySchema, 404: ErrorReplySchema };

const DecisionQuerySchema = z
  .object({ outputBytes: z.coerce.number().int().min(0).max(MAX_DECISION_OUTPUT_BYTES).default(16_384) })
  .strict();

export function registerTenantDecisionRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const onRequest = requireTenant(deps.prisma);
  const common = { tags: ['decisions'], security: [{ bearer: [] }] };

  api.get(
    '/v1/decisions',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Decisions (pending by default), oldest first, each with the start of the output to judge',
        querystring: ListDecisionsQuerySchema,
        response: { 200: ListDecisionsReplySchema, ...errors },
      },
    },
    async (request) => listDecisions({ prisma: deps.prisma }, deps.boxes, tenantOf(request).tenantId, request.query),
  );

  api.get(
    '/v1/decisions/stream',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Pending decisions as Server-Sent Events, pushed as the box writes them',
        description:
          'A `decision` event for every pending decision (all of them on connect, then each new one within moments ' +
          'of the box writing it), a `decision_closed` event ({id, status}) when one is answered or canceled, and ' +
          'keep-alive comments. Event ids are decision ids. The stream ends after 30 minutes; reconnect to go on.',
        querystring: z
          .object({ outputBytes: z.coerce.number().int().min(0).max(MAX_DECISION_OUTPUT_BYTES).default(0) })
          .strict(),
        produces: ['text/event-stream'],
        response: { 200: z.string().describe('text/event-stream'), ...errors },
      },
    },
    async (request, reply) =>
      streamPendingDecisions(deps, request, reply, {
        tenantId: tenantOf(request).tenantId,
        outputBytes: request.query.outputBytes,
      }),
  );

  api.get(
    '/v1/decisions/:id',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'One decision with the output to judge',
        params: DecisionParamsSchema,
        querystring: DecisionQuerySchema,
        response: { 200: DecisionReplySchema, ...errors },
      },
    },
    async (request) =>
      getDecision(
        { prisma: deps.prisma },
        deps.boxes,
        tenantOf(request).tenantId,
        request.params.id,
        request.query.outputBytes,
      ),
  );

  api.post(
    '/v1/decisions/:id',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Answer a pending decision: approve, reject or request changes, with a note',
        description:
          'Who decided (this API key and its person) and when are recorded in Postgres and on the box, and the run ' +
          'goes on. A decision takes one answer: a second one, or one after its deadline, is a 409.',
        params: DecisionParamsSchema,
        body: DecideBodySchema,
        response: {
          200: DecisionReplySchema,
          ...errors,
          409: ErrorReplySchema,
          422: ErrorReplySchema,
          503: ErrorReplySchema,
        },
      },
    },
    async (request) =>
      decide(
        { prisma: deps.prisma },
        deps.boxes,
        tenantOf(request),
        request.params.id,
        request.body,
        requestFacts(request),
      ),
  );
}
