import { ErrorReplySchema } from '@paddock/contracts';
import { InvoiceDownloadQuerySchema, InvoiceParamsSchema } from '@paddock/contracts';
import { getInvoice, renderInvoice } from '@paddock/services';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../../deps';
import { requireOperator } from '../../http/authenticate';

/**
 * Any tenant's invoice as a file (JSON, CSV or printable HTML), rendered as the tenant's own download renders it.
 * A plain GET, so the console can offer it as a link (the session cookie goes along; no CSRF token is needed to read).
 */
export function registerOperatorInvoiceDownloadRoutes(app: FastifyInstance, deps: Pick<ApiDeps, 'prisma'>): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/operator/invoices/:id/download',
    {
      onRequest: requireOperator(deps.prisma),
      schema: {
        summary: 'Download an invoice of any tenant as JSON, CSV or printable HTML (`format`)',
        tags: ['operator'],
        security: [{ bearer: [] }],
        params: InvoiceParamsSchema,
        querystring: InvoiceDownloadQuerySchema,
        response: { 400: ErrorReplySchema, 401: ErrorReplySchema, 404: ErrorReplySchema },
      },
    },
    async (request, reply) => {
      const invoice = await getInvoice({ prisma: deps.prisma }, { id: request.params.id, tenantView: false });
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
