import {
  ErrorReplySchema,
  AlertParamsSchema,
  ListTenantAlertsQuerySchema,
  ListTenantAlertsReplySchema,
  TenantAlertSchema,
} from '@paddock/contracts';
import { acknowledgeTenantAlert, listTenantAlerts, tenantAuditActor } from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../../deps';
import { requestFacts, requireTenant, tenantOf } from '../../http/tenant-auth';
import { registerWebhookRoutes } from '../webhook-routes';

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
    async (request) => listTenantAlerts({ prisma: deps.prisma }, tenantOf(request).tenantId, request.query),
  );
  api.post(
    '/v1/alerts/:id/acknowledge',
    {
      onRequest: requireTenant(deps.prisma),
      schema: {
        summary: "Acknowledge one of the workspace's alerts (it stays until its signal returns to normal)",
        tags: ['alerts'],
        security: [{ bearer: [] }],
        params: AlertParamsSchema,
        response: { 200: TenantAlertSchema, 400: ErrorReplySchema, 401: ErrorReplySchema, 404: ErrorReplySchema },
      },
    },
    async (request) => {
      const identity = tenantOf(request);
      return acknowledgeTenantAlert({ prisma: deps.prisma }, identity.tenantId, request.params.id, identity.userId);
    },
  );
  registerWebhookRoutes(app, deps, {
    prefix: '/v1/webhooks',
    tag: 'alerts',
    auth: requireTenant(deps.prisma),
    owner: (request) => ({ tenantId: tenantOf(request).tenantId }),
    change: (request) => ({ actor: tenantAuditActor(tenantOf(request)), request: requestFacts(request) }),
  });
}
