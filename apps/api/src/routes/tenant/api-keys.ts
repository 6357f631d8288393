import { ErrorReplySchema } from '@paddock/contracts';
import {
  ApiKeyParamsSchema,
  ApiKeySummarySchema,
  CreateApiKeyBodySchema,
  CreateApiKeyReplySchema,
  ListApiKeysReplySchema,
} from '@paddock/contracts';
import { createApiKey, listApiKeys, revokeApiKey } from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../../deps';
import { requestFacts, requireTenant, tenantOf } from '../../http/tenant-auth';

/**
 * A workspace's API keys (services/api-keys/manage-api-keys.ts): everyone lists them (names and prefixes), the owner
 * and admins create (the key is in the answer, once) and revoke them.
 */
export function registerTenantApiKeyRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const onRequest = requireTenant(deps.prisma);
  const common = { tags: ['api-keys'], security: [{ bearer: [] }] };
  const errors = { 400: ErrorReplySchema, 401: ErrorReplySchema, 403: ErrorReplySchema, 404: ErrorReplySchema };

  api.get(
    '/v1/api-keys',
    {
      onRequest,
      schema: {
        ...common,
        summary: "The workspace's API keys, newest first (revoked ones too); never the keys themselves",
        response: { 200: ListApiKeysReplySchema, 401: ErrorReplySchema },
      },
    },
    async (request) => ({ apiKeys: await listApiKeys({ prisma: deps.prisma }, tenantOf(request)) }),
  );

  api.post(
    '/v1/api-keys',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Create an API key (owner or admin): the answer holds the key, shown this once',
        description: "The key belongs to its creator and acts with the creator's role.",
        body: CreateApiKeyBodySchema,
        response: { 201: CreateApiKeyReplySchema, ...errors },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await createApiKey({ prisma: deps.prisma }, tenantOf(request), request.body, requestFacts(request))),
  );

  api.delete(
    '/v1/api-keys/:id',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Revoke an API key (owner or admin): its next request is a 401',
        params: ApiKeyParamsSchema,
        response: { 200: ApiKeySummarySchema, ...errors },
      },
    },
    async (request) =>
      revokeApiKey({ prisma: deps.prisma }, tenantOf(request), request.params.id, requestFacts(request)),
  );
}
