import {
  ErrorReplySchema,
  ListSecretsReplySchema,
  PutSecretBodySchema,
  SecretParamsSchema,
  SecretSummarySchema,
} from '@paddock/contracts';
import { deleteSecretAndPush, listTenantSecrets, setSecretAndPush } from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../../deps';
import { requestFacts, requireTenant, tenantOf } from '../../http/tenant-auth';

const errors = { 400: ErrorReplySchema, 401: ErrorReplySchema, 403: ErrorReplySchema, 404: ErrorReplySchema };

export function registerTenantSecretRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const onRequest = requireTenant(deps.prisma);
  const common = { tags: ['secrets'], security: [{ bearer: [] }] };

  api.put(
    '/v1/secrets/:name',
    {
      onRequest,
      schema: {
        ...common,
        summary:
          "Set a secret (created or replaced; encrypted at rest, never shown again) and push it to the workspace's box",
        params: SecretParamsSchema,
        body: PutSecretBodySchema,
        response: { 200: SecretSummarySchema, 201: SecretSummarySchema, 409: ErrorReplySchema, ...errors },
      },
    },
    async (request, reply) => {
      const secret = await setSecretAndPush(
        deps,
        tenantOf(request),
        { name: request.params.name, value: request.body.value },
        requestFacts(request),
      );
      return reply
        .status(secret.created ? 201 : 200)
        .send({ name: secret.name, updatedAt: secret.updatedAt.toISOString() });
    },
  );

  api.get(
    '/v1/secrets',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'List secrets: names and when each last changed, never values',
        response: { 200: ListSecretsReplySchema, ...errors },
      },
    },
    async (request) => ({
      secrets: (await listTenantSecrets({ prisma: deps.prisma }, tenantOf(request).tenantId)).map((secret) => ({
        name: secret.name,
        updatedAt: secret.updatedAt.toISOString(),
      })),
    }),
  );

  api.delete(
    '/v1/secrets/:name',
    {
      onRequest,
      schema: {
        ...common,
        summary: "Delete a secret (and remove it from the workspace's box)",
        params: SecretParamsSchema,
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      await deleteSecretAndPush(deps, tenantOf(request), request.params.name, requestFacts(request));
      return reply.status(204).send(null);
    },
  );
}
