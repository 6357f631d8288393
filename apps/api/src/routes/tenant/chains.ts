import {
  ChainDiffParamsSchema,
  ChainDiffReplySchema,
  ChainParamsSchema,
  ChainVersionDetailSchema,
  ChainVersionParamsSchema,
  ErrorReplySchema,
  ListChainsQuerySchema,
  ListChainsReplySchema,
  ListChainVersionsReplySchema,
  UploadChainBodySchema,
  UploadChainReplySchema,
} from '@paddock/contracts';
import {
  diffChainVersions,
  getChainVersion,
  listChains,
  listChainVersions,
  uploadChainVersion,
} from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../../deps';
import { requestFacts, requireTenant, tenantOf } from '../../http/tenant-auth';
import { toChainReply, toChainVersionDetailReply, toChainVersionReply } from './chain-replies';

const errors = { 400: ErrorReplySchema, 401: ErrorReplySchema, 403: ErrorReplySchema, 404: ErrorReplySchema };

export function registerTenantChainRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const onRequest = requireTenant(deps.prisma);
  const common = { tags: ['chains'], security: [{ bearer: [] }] };

  api.post(
    '/v1/chains',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Upload a chain (definition + the files it references) as a new version',
        description:
          'Validated as `chainctl validate` does (errors name file, line, column and field). The same content ' +
          'uploaded again returns the existing version (200, created false); new content is the next version (201).',
        body: UploadChainBodySchema,
        response: { 200: UploadChainReplySchema, 201: UploadChainReplySchema, ...errors },
      },
    },
    async (request, reply) => {
      const result = await uploadChainVersion(deps.prisma, tenantOf(request), request.body, requestFacts(request));
      return reply.status(result.created ? 201 : 200).send({ ...result, version: toChainVersionReply(result.version) });
    },
  );

  api.get(
    '/v1/chains',
    {
      onRequest,
      schema: {
        ...common,
        summary: "List the workspace's chains by name",
        querystring: ListChainsQuerySchema,
        response: { 200: ListChainsReplySchema, ...errors },
      },
    },
    async (request) => {
      const page = await listChains(deps.prisma, tenantOf(request).tenantId, request.query);
      return { chains: page.chains.map(toChainReply), nextCursor: page.nextCursor };
    },
  );

  api.get(
    '/v1/chains/:id/versions',
    {
      onRequest,
      schema: {
        ...common,
        summary: "A chain's versions, newest first",
        params: ChainParamsSchema,
        response: { 200: ListChainVersionsReplySchema, ...errors },
      },
    },
    async (request) => ({
      versions: (await listChainVersions(deps.prisma, tenantOf(request).tenantId, request.params.id)).map(
        toChainVersionReply,
      ),
    }),
  );

  api.get(
    '/v1/chains/:id/versions/:version',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'One chain version with its definition and files',
        params: ChainVersionParamsSchema,
        response: { 200: ChainVersionDetailSchema, ...errors },
      },
    },
    async (request) =>
      toChainVersionDetailReply(
        await getChainVersion(deps.prisma, tenantOf(request).tenantId, request.params.id, request.params.version),
      ),
  );

  api.get(
    '/v1/chains/:id/versions/:a/diff/:b',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'What changed from version a to version b: the definition and every prompt file (unified diffs)',
        params: ChainDiffParamsSchema,
        response: { 200: ChainDiffReplySchema, ...errors },
      },
    },
    async (request) =>
      diffChainVersions(deps.prisma, tenantOf(request).tenantId, request.params.id, request.params.a, request.params.b),
  );
}
