import { ErrorReplySchema } from '@paddock/contracts';
import { ListOperatorAlertsQuerySchema, ListOperatorAlertsReplySchema } from '@paddock/contracts/api/alerts';
import { listOperatorAlerts } from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../../deps';
import { requireOperator } from '../../http/authenticate';

/** Every alert: tenants' agents killed by their box's watchdog, provisioning, host keys, box health. */
export function registerOperatorAlertRoutes(app: FastifyInstance, deps: Pick<ApiDeps, 'prisma'>): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get(
    '/v1/operator/alerts',
    {
      onRequest: requireOperator(deps.prisma),
      schema: {
        tags: ['operator'],
        security: [{ bearer: [] }],
        summary: 'Alerts of every tenant and box, newest first (filter by status, tenant, box or code)',
        querystring: ListOperatorAlertsQuerySchema,
        response: { 200: ListOperatorAlertsReplySchema, 400: ErrorReplySchema, 401: ErrorReplySchema },
      },
    },
    async (request) => listOperatorAlerts(deps.prisma, request.query),
  );
}
