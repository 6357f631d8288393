import {
  ErrorReplySchema,
  AlertParamsSchema,
  ListOperatorAlertsQuerySchema,
  ListOperatorAlertsReplySchema,
  OperatorAlertSchema,
} from '@paddock/contracts';
import { acknowledgeOperatorAlert, listOperatorAlerts, operatorActor } from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../../deps';
import { operatorOf, requireOperator } from '../../http/authenticate';
import { requestFacts } from '../../http/tenant-auth';
import { registerWebhookRoutes } from '../webhook-routes';

/** Every alert: tenants' agents killed by their box's watchdog, provisioning, host keys, box health. */
export function registerOperatorAlertRoutes(
  app: FastifyInstance,
  deps: Pick<ApiDeps, 'prisma' | 'vault' | 'webhookPolicy'>,
): void {
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
    async (request) => listOperatorAlerts({ prisma: deps.prisma }, request.query),
  );
  api.post(
    '/v1/operator/alerts/:id/acknowledge',
    {
      onRequest: requireOperator(deps.prisma),
      schema: {
        tags: ['operator'],
        security: [{ bearer: [] }],
        summary: 'Acknowledge any alert (it stays until its signal returns to normal)',
        params: AlertParamsSchema,
        response: { 200: OperatorAlertSchema, 400: ErrorReplySchema, 401: ErrorReplySchema, 404: ErrorReplySchema },
      },
    },
    async (request) => acknowledgeOperatorAlert({ prisma: deps.prisma }, request.params.id, operatorOf(request).userId),
  );
  registerWebhookRoutes(app, deps, {
    prefix: '/v1/operator/webhooks',
    tag: 'operator',
    auth: requireOperator(deps.prisma),
    owner: () => ({ tenantId: null }),
    change: (request) => ({ actor: operatorActor(operatorOf(request)), request: requestFacts(request) }),
  });
}
