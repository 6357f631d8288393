import {
  ErrorReplySchema,
  InvoiceDetailSchema,
  InvoiceDownloadQuerySchema,
  InvoiceListReplySchema,
  InvoiceParamsSchema,
  TenantInvoicesQuerySchema,
} from '@paddock/contracts';
import { getInvoice, listInvoices, renderInvoice } from '@paddock/services';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../../deps';
import { requireTenant, tenantOf } from '../../http/tenant-auth';

/** A workspace's own invoices and credit notes (issued ones: drafts are operators' work in progress). */
export function registerTenantInvoiceRoutes(app: FastifyInstance, deps: Pick<ApiDeps, 'prisma'>): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const onRequest = requireTenant(deps.prisma);
  const common = { tags: ['invoices'], security: [{ bearer: [] }] };

  api.get(
    '/v1/invoices',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Your invoices and credit notes, newest first',
        querystring: TenantInvoicesQuerySchema,
        response: { 200: InvoiceListReplySchema, 400: ErrorReplySchema, 401: ErrorReplySchema },
      },
    },
    async (request) =>
      listInvoices(
        { prisma: deps.prisma },
        { ...request.query, tenantId: tenantOf(request).tenantId, tenantView: true },
      ),
  );

  api.get(
    '/v1/invoices/:id',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'One invoice with its lines (another workspace’s invoice is a 404)',
        params: InvoiceParamsSchema,
        response: { 200: InvoiceDetailSchema, 400: ErrorReplySchema, 401: ErrorReplySchema, 404: ErrorReplySchema },
      },
    },
    async (request) =>
      getInvoice(
        { prisma: deps.prisma },
        { id: request.params.id, tenantId: tenantOf(request).tenantId, tenantView: true },
      ),
  );

  api.get(
    '/v1/invoices/:id/download',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Download an invoice as JSON, CSV or printable HTML (`format`)',
        params: InvoiceParamsSchema,
        querystring: InvoiceDownloadQuerySchema,
        response: { 400: ErrorReplySchema, 401: ErrorReplySchema, 404: ErrorReplySchema },
      },
    },
    async (request, reply) => {
      const invoice = await getInvoice(
        { prisma: deps.prisma },
        {
          id: request.params.id,
          tenantId: tenantOf(request).tenantId,
          tenantView: true,
        },
      );
      const file = renderInvoice(invoice, request.query.format);
      // A file, not a JSON reply: no 200 schema, so fastify sends the string as it is.
      return (reply as FastifyReply)
        .header('content-type', file.contentType)
        .header('content-disposition', `attachment; filename="${file.filename}"`)
        .header('x-content-type-options', 'nosniff')
        .send(file.body);
    },
  );
}
