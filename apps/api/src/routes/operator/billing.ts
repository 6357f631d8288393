import {
  ErrorReplySchema,
  UuidParamsSchema,
  CostsQuerySchema,
  CostsReplySchema,
  TopSpendersQuerySchema,
  TopSpendersReplySchema,
  CreateModelPriceBodySchema,
  CreateModelPriceReplySchema,
  CreateServerTypePriceBodySchema,
  FlaggedUsageQuerySchema,
  FlaggedUsageReplySchema,
  ListModelPricesQuerySchema,
  ListModelPricesReplySchema,
  ListServerTypePricesReplySchema,
  RerateReplySchema,
  ServerTypePriceSchema,
  UnpricedUsageReplySchema,
  UpdateModelPriceBodySchema,
} from '@paddock/contracts';
import {
  createModelPrice,
  createServerTypePrice,
  listFlaggedUsage,
  listModelPrices,
  listServerTypePrices,
  listUnpricedUsage,
  readOperatorCosts,
  readTopSpenders,
  rerateAllUnpriced,
  updateModelPrice,
} from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../../deps';
import { operatorOf, requireOperator } from '../../http/authenticate';
import { requestFacts } from '../../http/tenant-auth';

const security = [{ bearer: [] }];
const errors = { 400: ErrorReplySchema, 401: ErrorReplySchema };

/** The price book (versions, never edited once used), unpriced and flagged usage, and every tenant's costs. */
export function registerOperatorBillingRoutes(app: FastifyInstance, deps: Pick<ApiDeps, 'prisma'>): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const onRequest = requireOperator(deps.prisma);
  const tags = ['operator', 'billing'];

  api.post(
    '/v1/operator/billing/model-prices',
    {
      onRequest,
      schema: {
        tags,
        security,
        summary: "Add a version of a model's token prices, in force from an instant (prices unpriced usage it covers)",
        body: CreateModelPriceBodySchema,
        response: { 201: CreateModelPriceReplySchema, ...errors, 409: ErrorReplySchema },
      },
    },
    async (request, reply) => {
      const created = await createModelPrice(
        { prisma: deps.prisma },
        operatorOf(request),
        request.body,
        requestFacts(request),
      );
      return reply.code(201).send(created);
    },
  );

  api.patch(
    '/v1/operator/billing/model-prices/:id',
    {
      onRequest,
      schema: {
        tags,
        security,
        summary: 'Fix a price version that has rated nothing yet (409 price_in_use once it has)',
        params: UuidParamsSchema,
        body: UpdateModelPriceBodySchema,
        response: { 200: CreateModelPriceReplySchema, ...errors, 404: ErrorReplySchema, 409: ErrorReplySchema },
      },
    },
    async (request) =>
      updateModelPrice(
        { prisma: deps.prisma },
        operatorOf(request),
        request.params.id,
        request.body,
        requestFacts(request),
      ),
  );

  api.get(
    '/v1/operator/billing/model-prices',
    {
      onRequest,
      schema: {
        tags,
        security,
        summary: 'Every model price version (current and history)',
        querystring: ListModelPricesQuerySchema,
        response: { 200: ListModelPricesReplySchema, ...errors },
      },
    },
    async (request) => ({ prices: await listModelPrices({ prisma: deps.prisma }, request.query) }),
  );

  api.post(
    '/v1/operator/billing/server-type-prices',
    {
      onRequest,
      schema: {
        tags,
        security,
        summary: "Add a version of a provider server type's hourly price, in force from an instant",
        body: CreateServerTypePriceBodySchema,
        response: { 201: ServerTypePriceSchema, ...errors, 409: ErrorReplySchema },
      },
    },
    async (request, reply) => {
      const created = await createServerTypePrice(
        { prisma: deps.prisma },
        operatorOf(request),
        request.body,
        requestFacts(request),
      );
      return reply.code(201).send(created);
    },
  );

  api.get(
    '/v1/operator/billing/server-type-prices',
    {
      onRequest,
      schema: {
        tags,
        security,
        summary: 'Every server type price version (current and history)',
        response: { 200: ListServerTypePricesReplySchema, ...errors },
      },
    },
    async () => ({ prices: await listServerTypePrices({ prisma: deps.prisma }) }),
  );

  api.get(
    '/v1/operator/billing/unpriced',
    {
      onRequest,
      schema: {
        tags,
        security,
        summary: 'Usage on models with no price in force, by model and UTC month',
        response: { 200: UnpricedUsageReplySchema, ...errors },
      },
    },
    async () => listUnpricedUsage({ prisma: deps.prisma }),
  );

  api.post(
    '/v1/operator/billing/rerate',
    {
      onRequest,
      schema: {
        tags,
        security,
        summary: 'Price every unpriced usage event a price now covers (outside issued invoices)',
        response: { 200: RerateReplySchema, ...errors },
      },
    },
    async (request) => rerateAllUnpriced({ prisma: deps.prisma }, operatorOf(request), requestFacts(request)),
  );

  api.get(
    '/v1/operator/billing/flagged',
    {
      onRequest,
      schema: {
        tags,
        security,
        summary: 'Usage whose reported cost and charge differ by more than 10% and $0.01, newest first',
        querystring: FlaggedUsageQuerySchema,
        response: { 200: FlaggedUsageReplySchema, ...errors },
      },
    },
    async (request) => listFlaggedUsage({ prisma: deps.prisma }, request.query),
  );

  api.get(
    '/v1/operator/costs',
    {
      onRequest,
      schema: {
        tags,
        security,
        summary: "Every tenant's rated usage and box time for a period, grouped",
        querystring: CostsQuerySchema,
        response: { 200: CostsReplySchema, ...errors },
      },
    },
    async (request) => readOperatorCosts({ prisma: deps.prisma }, request.query),
  );

  api.get(
    '/v1/operator/costs/top-spenders',
    {
      onRequest,
      schema: {
        tags,
        security,
        summary: 'Tenants by charge for a period, with margin (charged - provider cost) on model usage',
        querystring: TopSpendersQuerySchema,
        response: { 200: TopSpendersReplySchema, ...errors },
      },
    },
    async (request) => readTopSpenders({ prisma: deps.prisma }, request.query),
  );
}
