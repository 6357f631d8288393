import { ErrorReplySchema } from '@paddock/contracts';
import { ListTenantAlertsQuerySchema, ListTenantAlertsReplySchema } from '@paddock/contracts/api/alerts';
import { listTenantAlerts } from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../../deps';
import { requireTenant, tenantOf } from '../../http/tenant-auth';

export function registerTenantAlertRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get(
    '/v1/alerts',
    {
      onRequest: requireTenant(deps.prisma),
      schema: {
        summary: "The workspace's alerts, newest first (a step its box's watchdog killed, ...)",
        description:
          'One alert per condition while it is open: a step of a chain that the watchdog keeps killing (idle or ' +
          'over its timeout) is one alert whose `occurrences` grows and whose details name the newest run.',
        tags: ['alerts'],
        security: [{ bearer: [] }],
        querystring: ListTenantAlertsQuerySchema,
        response: { 200: ListTenantAlertsReplySchema, 400: ErrorReplySchema, 401: ErrorReplySchema },
      },
    },
    async (request) => listTenantAlerts(deps.prisma, tenantOf(request).tenantId, request.query),
  );
}
