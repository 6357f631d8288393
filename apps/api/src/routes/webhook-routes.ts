import {
  ErrorReplySchema,
  CreateWebhookEndpointBodySchema,
  CreateWebhookEndpointReplySchema,
  ListWebhookDeliveriesQuerySchema,
  ListWebhookDeliveriesReplySchema,
  ListWebhookEndpointsReplySchema,
  UpdateWebhookEndpointBodySchema,
  WebhookEndpointParamsSchema,
  WebhookEndpointSchema,
} from '@paddock/contracts';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
  rotateWebhookSecret,
  updateWebhookEndpoint,
  type WebhookChange,
  type WebhookOwner,
} from '@paddock/services';
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../deps';

/**
 * The webhook endpoint routes, mounted twice: `/v1/webhooks` (a workspace's endpoints, its own alerts) and
 * `/v1/operator/webhooks` (the operators' endpoints, every alert). `owner` reads who is asking from the request
 * that `auth` authenticated; every query has that owner in its where, so another owner's endpoint is a 404.
 * `change` names who acts (and from where) for the audit row every change writes.
 */
export function registerWebhookRoutes(
  app: FastifyInstance,
  deps: Pick<ApiDeps, 'prisma' | 'vault' | 'webhookPolicy'>,
  mount: {
    prefix: string;
    tag: string;
    auth: onRequestHookHandler;
    owner: (request: FastifyRequest) => WebhookOwner;
    change: (request: FastifyRequest) => WebhookChange;
  },
): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const service = { prisma: deps.prisma, vault: deps.vault, policy: deps.webhookPolicy ?? { allowLoopback: false } };
  const common = { tags: [mount.tag], security: [{ bearer: [] }] };
  const errors = { 400: ErrorReplySchema, 401: ErrorReplySchema, 404: ErrorReplySchema, 409: ErrorReplySchema };
  api.post(
    mount.prefix,
    {
      onRequest: mount.auth,
      schema: {
        ...common,
        summary: 'Add a webhook endpoint; its signing secret is in this reply only',
        description:
          'Deliveries are POSTs of JSON signed with HMAC-SHA256 over `<timestamp>.<body>`: headers `Paddock-Timestamp` ' +
          '(unix seconds) and `Paddock-Signature: v1=<hex>`. Refuse a timestamp more than 5 minutes away and compare ' +
          'in constant time. URLs must be https and resolve to a public address.',
        body: CreateWebhookEndpointBodySchema,
        response: { 201: CreateWebhookEndpointReplySchema, ...errors },
      },
    },
    async (request, reply) => {
      reply.code(201);
      return createWebhookEndpoint(service, mount.owner(request), request.body, mount.change(request));
    },
  );
  api.get(
    mount.prefix,
    {
      onRequest: mount.auth,
      schema: {
        ...common,
        summary: 'Webhook endpoints',
        response: { 200: ListWebhookEndpointsReplySchema, ...errors },
      },
    },
    async (request) => ({ endpoints: await listWebhookEndpoints({ prisma: deps.prisma }, mount.owner(request)) }),
  );
  api.patch(
    `${mount.prefix}/:id`,
    {
      onRequest: mount.auth,
      schema: {
        ...common,
        summary: 'Change a webhook endpoint (enabled: true re-enables one disabled after failures)',
        params: WebhookEndpointParamsSchema,
        body: UpdateWebhookEndpointBodySchema,
        response: { 200: WebhookEndpointSchema, ...errors },
      },
    },
    async (request) =>
      updateWebhookEndpoint(service, mount.owner(request), request.params.id, request.body, mount.change(request)),
  );
  api.post(
    `${mount.prefix}/:id/rotate-secret`,
    {
      onRequest: mount.auth,
      schema: {
        ...common,
        summary: 'Give a webhook endpoint a new signing secret (in this reply only; the old one stops at once)',
        params: WebhookEndpointParamsSchema,
        response: { 200: CreateWebhookEndpointReplySchema, ...errors },
      },
    },
    async (request) => rotateWebhookSecret(service, mount.owner(request), request.params.id, mount.change(request)),
  );
  api.delete(
    `${mount.prefix}/:id`,
    {
      onRequest: mount.auth,
      schema: {
        ...common,
        summary: 'Delete a webhook endpoint and its delivery log',
        params: WebhookEndpointParamsSchema,
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      await deleteWebhookEndpoint(
        { prisma: deps.prisma },
        mount.owner(request),
        request.params.id,
        mount.change(request),
      );
      return reply.code(204).send(null);
    },
  );
  api.get(
    `${mount.prefix}/:id/deliveries`,
    {
      onRequest: mount.auth,
      schema: {
        ...common,
        summary: "An endpoint's delivery log, newest first",
        params: WebhookEndpointParamsSchema,
        querystring: ListWebhookDeliveriesQuerySchema,
        response: { 200: ListWebhookDeliveriesReplySchema, ...errors },
      },
    },
    async (request) => ({
      deliveries: (await listWebhookDeliveries(
        { prisma: deps.prisma },
        mount.owner(request),
        request.params.id,
        request.query.limit,
      )) as z.infer<typeof ListWebhookDeliveriesReplySchema>['deliveries'],
    }),
  );
}
