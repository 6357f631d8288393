import {
  ActivateChainVersionBodySchema,
  ChainActivationReplySchema,
  ChainDiffParamsSchema,
  ChainDiffReplySchema,
  ChainParamsSchema,
  ChainVersionDetailSchema,
  ChainVersionParamsSchema,
  ChainVersionStagingReplySchema,
  ErrorReplySchema,
  ListChainsQuerySchema,
  ListChainsReplySchema,
  ListChainVersionsReplySchema,
  UploadChainBodySchema,
  UploadChainReplySchema,
} from '@paddock/contracts';
import {
  type ActivationOutcome,
  activateChainVersion,
  type ChainVersionStaging,
  deployChainVersion,
  diffChainVersions,
  getChainVersion,
  getChainVersionStaging,
  listChains,
  listChainVersions,
  rollbackChain,
} from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../../deps';
import { requestFacts, requireTenant, tenantOf } from '../../http/tenant-auth';
import { toChainReply, toChainVersionDetailReply, toChainVersionReply } from './chain-replies';

const errors = { 400: ErrorReplySchema, 401: ErrorReplySchema, 403: ErrorReplySchema, 404: ErrorReplySchema };
const stateErrors = { ...errors, 409: ErrorReplySchema };

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
          'uploaded again returns the existing version (200, created false); new content is the next version (201). ' +
          "The version is then synced to the workspace's box (chains/<name>/<hash>/) and staged: run against each " +
          'reference input, it becomes active when every check passes (without reference inputs, once synced).',
        body: UploadChainBodySchema,
        response: { 200: UploadChainReplySchema, 201: UploadChainReplySchema, ...stateErrors },
      },
    },
    async (request, reply) => {
      const result = await deployChainVersion(deps, tenantOf(request), request.body, requestFacts(request));
      return reply.status(result.created ? 201 : 200).send({
        chain: result.chain,
        created: result.created,
        version: toChainVersionReply(result.version),
      });
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
      const page = await listChains({ prisma: deps.prisma }, tenantOf(request).tenantId, request.query);
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
      versions: (await listChainVersions({ prisma: deps.prisma }, tenantOf(request).tenantId, request.params.id)).map(
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
        await getChainVersion(
          { prisma: deps.prisma },
          tenantOf(request).tenantId,
          request.params.id,
          request.params.version,
        ),
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
      diffChainVersions(
        { prisma: deps.prisma },
        tenantOf(request).tenantId,
        request.params.id,
        request.params.a,
        request.params.b,
      ),
  );

  api.get(
    '/v1/chains/:id/versions/:version/staging',
    {
      onRequest,
      schema: {
        ...common,
        summary: "A version's deployment: synced, its reference inputs and every check's outcome, active or not",
        params: ChainVersionParamsSchema,
        response: { 200: ChainVersionStagingReplySchema, ...errors },
      },
    },
    async (request) =>
      toStagingReply(
        await getChainVersionStaging(
          { prisma: deps.prisma },
          tenantOf(request).tenantId,
          request.params.id,
          request.params.version,
        ),
      ),
  );

  api.post(
    '/v1/chains/:id/activate',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Make a version of the chain active now (an override when staging did not pass it), saying why',
        description:
          'The reason goes to the audit log; on a version staging rejected (or has not finished) it is also kept on ' +
          'the version as an override, and such a version never counts as known-good. 409 when the version is ' +
          'already active or not on the box yet.',
        params: ChainParamsSchema,
        body: ActivateChainVersionBodySchema,
        response: { 200: ChainActivationReplySchema, ...stateErrors },
      },
    },
    async (request): Promise<ActivationOutcome> =>
      activateChainVersion(
        { prisma: deps.prisma },
        tenantOf(request),
        { chainId: request.params.id, version: request.body.version, reason: request.body.reason },
        requestFacts(request),
      ),
  );

  api.post(
    '/v1/chains/:id/rollback',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Go back to the last known-good version: it becomes active, the active one is rejected',
        description: '409 when the chain has no known-good version to go back to.',
        params: ChainParamsSchema,
        response: { 200: ChainActivationReplySchema, ...stateErrors },
      },
    },
    async (request): Promise<ActivationOutcome> =>
      rollbackChain({ prisma: deps.prisma }, tenantOf(request), { chainId: request.params.id }, requestFacts(request)),
  );
}

function toStagingReply(staging: ChainVersionStaging) {
  return {
    ...staging,
    syncedAt: staging.syncedAt?.toISOString() ?? null,
    activatedAt: staging.activatedAt?.toISOString() ?? null,
    rejectedAt: staging.rejectedAt?.toISOString() ?? null,
  };
}
