import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../../deps';
import { registerTenantAlertRoutes } from './alerts';
import { registerTenantApiKeyRoutes } from './api-keys';
import { registerTenantChainRoutes } from './chains';
import { registerTenantCostRoutes } from './costs';
import { registerTenantDecisionRoutes } from './decisions';
import { registerTenantInvoiceRoutes } from './invoices';
import { registerTenantMemberRoutes } from './members';
import { registerTenantRunRoutes } from './runs';
import { registerTenantSecretRoutes } from './secrets';
import { registerTenantSessionRoutes } from './sessions';
import { registerTenantUsageRoutes } from './usage';

/** Routes a workspace calls with its API key or a user's session; every query in them is scoped by its tenant. */
export function registerTenantRoutes(app: FastifyInstance, deps: ApiDeps): void {
  registerTenantSessionRoutes(app, deps);
  registerTenantSecretRoutes(app, deps);
  registerTenantChainRoutes(app, deps);
  registerTenantUsageRoutes(app, deps);
  registerTenantCostRoutes(app, deps);
  registerTenantRunRoutes(app, deps);
  registerTenantDecisionRoutes(app, deps);
  registerTenantAlertRoutes(app, deps);
  registerTenantInvoiceRoutes(app, deps);
  registerTenantMemberRoutes(app, deps);
  registerTenantApiKeyRoutes(app, deps);
}
