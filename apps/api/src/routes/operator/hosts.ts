import {
  ErrorReplySchema,
  UuidParamsSchema,
  AssignHostBodySchema,
  HostSchema,
  ListBoxesQuerySchema,
  ListBoxesReplySchema,
  ListHostsQuerySchema,
  ListHostsReplySchema,
  ProbeHostBodySchema,
  ProbeHostReplySchema,
  RegisterHostBodySchema,
  RegisterHostReplySchema,
} from '@paddock/contracts';
import { assignHost, listBoxes, listHosts, probeHost, registerHost } from '@paddock/services';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../../deps';
import { operatorOf, requireOperator } from '../../http/authenticate';

/**
 * Bring-your-own hosts (probe the host key, register with the confirmed fingerprint, list, assign to a tenant) and
 * the operator's list of every box.
 */
export function registerOperatorHostRoutes(
  app: FastifyInstance,
  deps: Pick<ApiDeps, 'prisma' | 'queues' | 'vault' | 'ssh'>,
): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const onRequest = requireOperator(deps.prisma);
  const security = [{ bearer: [] }];
  const tags = ['operator'];
  const errors = { 400: ErrorReplySchema, 401: ErrorReplySchema, 404: ErrorReplySchema, 409: ErrorReplySchema };
  const who = (request: FastifyRequest) => {
    const operator = operatorOf(request);
    return { userId: operator.userId, email: operator.email, ip: request.ip, requestId: request.id };
  };

  api.post(
    '/v1/operator/hosts/probe',
    {
      onRequest,
      schema: {
        summary: 'Read the SSH host key an address presents, to confirm before registering it (nothing is trusted)',
        tags,
        security,
        body: ProbeHostBodySchema,
        response: { 200: ProbeHostReplySchema, ...errors, 503: ErrorReplySchema },
      },
    },
    async (request) => probeHost(deps, request.body, who(request)),
  );

  api.post(
    '/v1/operator/hosts',
    {
      onRequest,
      schema: {
        summary: 'Register a bring-your-own host with its confirmed host key; it is bootstrapped and joins its pool',
        tags,
        security,
        body: RegisterHostBodySchema,
        response: { 202: RegisterHostReplySchema, ...errors, 422: ErrorReplySchema, 503: ErrorReplySchema },
      },
    },
    async (request, reply) => {
      reply.code(202);
      return registerHost(deps, request.body, who(request));
    },
  );

  api.get(
    '/v1/operator/hosts',
    {
      onRequest,
      schema: {
        summary: 'Registered bring-your-own hosts, oldest first (the order signups claim them in)',
        tags,
        security,
        querystring: ListHostsQuerySchema,
        response: { 200: ListHostsReplySchema, 400: ErrorReplySchema, 401: ErrorReplySchema },
      },
    },
    async (request) =>
      listHosts(
        { prisma: deps.prisma },
        {
          pool: request.query.pool,
          free: request.query.free === undefined ? undefined : request.query.free === 'true',
        },
      ),
  );

  api.post(
    '/v1/operator/hosts/:id/assign',
    {
      onRequest,
      schema: {
        summary: 'Give a host to a tenant without a box (then retry its provisioning); audited',
        tags,
        security,
        params: UuidParamsSchema,
        body: AssignHostBodySchema,
        response: { 200: HostSchema, ...errors },
      },
    },
    async (request) =>
      assignHost({ prisma: deps.prisma }, { hostId: request.params.id, ...request.body }, who(request)),
  );

  api.get(
    '/v1/operator/boxes',
    {
      onRequest,
      schema: {
        summary: 'Every box, newest first, filtered by status, provider or tenant',
        tags,
        security,
        querystring: ListBoxesQuerySchema,
        response: { 200: ListBoxesReplySchema, 400: ErrorReplySchema, 401: ErrorReplySchema },
      },
    },
    async (request) => listBoxes({ prisma: deps.prisma }, request.query),
  );
}
