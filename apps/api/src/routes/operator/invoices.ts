import {
  ErrorReplySchema,
  ChangePlanBodySchema,
  ChangePlanReplySchema,
  CloseMonthBodySchema,
  CloseMonthReplySchema,
  InvoiceDetailSchema,
  InvoiceListReplySchema,
  InvoiceParamsSchema,
  InvoiceSummarySchema,
  OperatorInvoicesQuerySchema,
  VoidInvoiceBodySchema,
  VoidInvoiceReplySchema,
  OperatorTenantParamsSchema,
} from '@paddock/contracts';
import {
  changeTenantPlan,
  enqueueMonthClose,
  getInvoice,
  invoiceSummary,
  issueInvoice,
  listInvoices,
  markInvoicePaid,
  regenerateDraft,
  voidInvoice,
} from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../../deps';
import { operatorOf, requireOperator } from '../../http/authenticate';
import { requestFacts } from '../../http/tenant-auth';

/** Invoices for operators (list, issue, mark paid, void with a credit note, regenerate a draft) and plan changes. */
export function registerOperatorInvoiceRoutes(app: FastifyInstance, deps: Pick<ApiDeps, 'prisma' | 'queues'>): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const onRequest = requireOperator(deps.prisma);
  const common = { tags: ['operator'], security: [{ bearer: [] }] };
  const actor = (request: Parameters<typeof operatorOf>[0]) => {
    const operator = operatorOf(request);
    return { userId: operator.userId, email: operator.email };
  };
  const errors = { 400: ErrorReplySchema, 401: ErrorReplySchema, 404: ErrorReplySchema, 409: ErrorReplySchema };

  api.get(
    '/v1/operator/invoices',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Invoices and credit notes of every tenant, newest first (filter by tenant, status, month)',
        querystring: OperatorInvoicesQuerySchema,
        response: { 200: InvoiceListReplySchema, 400: ErrorReplySchema, 401: ErrorReplySchema },
      },
    },
    async (request) => listInvoices({ prisma: deps.prisma }, { ...request.query, tenantView: false }),
  );

  api.get(
    '/v1/operator/invoices/:id',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'One invoice with its lines',
        params: InvoiceParamsSchema,
        response: { 200: InvoiceDetailSchema, ...errors },
      },
    },
    async (request) => getInvoice({ prisma: deps.prisma }, { id: request.params.id, tenantView: false }),
  );

  api.post(
    '/v1/operator/invoices/:id/issue',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Issue a draft: it gets its due date and is never edited again (audited)',
        params: InvoiceParamsSchema,
        response: { 200: InvoiceSummarySchema, ...errors },
      },
    },
    async (request) =>
      invoiceSummary(
        await issueInvoice({ prisma: deps.prisma }, actor(request), request.params.id, requestFacts(request)),
      ),
  );

  api.post(
    '/v1/operator/invoices/:id/mark-paid',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Mark an issued invoice paid (audited)',
        params: InvoiceParamsSchema,
        response: { 200: InvoiceSummarySchema, ...errors },
      },
    },
    async (request) =>
      invoiceSummary(
        await markInvoicePaid({ prisma: deps.prisma }, actor(request), request.params.id, requestFacts(request)),
      ),
  );

  api.post(
    '/v1/operator/invoices/:id/void',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Void an invoice: an issued one is cancelled by a credit note; `replace` drafts the corrected one',
        params: InvoiceParamsSchema,
        body: VoidInvoiceBodySchema,
        response: { 200: VoidInvoiceReplySchema, ...errors },
      },
    },
    async (request) => {
      const outcome = await voidInvoice(
        { prisma: deps.prisma },
        actor(request),
        { id: request.params.id, ...request.body },
        requestFacts(request),
      );
      return {
        invoice: invoiceSummary(outcome.invoice),
        creditNote: outcome.creditNote ? invoiceSummary(outcome.creditNote) : null,
        replacement: outcome.replacement ? invoiceSummary(outcome.replacement) : null,
      };
    },
  );

  api.post(
    '/v1/operator/invoices/:id/regenerate',
    {
      onRequest,
      schema: {
        ...common,
        summary: "Recompute a draft's lines at today's prices and plan over the same usage window (audited)",
        params: InvoiceParamsSchema,
        response: { 200: InvoiceSummarySchema, ...errors },
      },
    },
    async (request) =>
      invoiceSummary(
        await regenerateDraft({ prisma: deps.prisma }, actor(request), request.params.id, requestFacts(request)),
      ),
  );

  api.post(
    '/v1/operator/invoices/close',
    {
      onRequest,
      schema: {
        ...common,
        summary: "Run a month's close now (a job; idempotent: tenants already invoiced are skipped)",
        body: CloseMonthBodySchema,
        response: { 202: CloseMonthReplySchema, 400: ErrorReplySchema, 401: ErrorReplySchema },
      },
    },
    async (request, reply) => {
      const enqueued = await enqueueMonthClose(deps, actor(request), request.body.period, requestFacts(request));
      return reply.code(202).send(enqueued);
    },
  );

  api.put(
    '/v1/operator/tenants/:id/plan',
    {
      onRequest,
      schema: {
        ...common,
        summary: "Change a tenant's plan now (the month's fee is prorated) or start a trial (audited)",
        params: OperatorTenantParamsSchema,
        body: ChangePlanBodySchema,
        response: { 200: ChangePlanReplySchema, ...errors },
      },
    },
    async (request) =>
      changeTenantPlan(
        { prisma: deps.prisma },
        actor(request),
        { tenantId: request.params.id, ...request.body },
        requestFacts(request),
      ),
  );
}
