import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps';
import { registerOperatorJobRoutes } from './operator/jobs';
import { registerOperatorQuarantineRoutes } from './operator/quarantine';
import { registerOperatorSessionRoutes } from './operator/sessions';
import { registerOperatorTenantRoutes } from './operator/tenants';
import { registerOperatorWorkflowRoutes } from './operator/workflows';
import { registerSignupRoutes } from './signup';
import { registerTenantRoutes } from './tenant';

/** Every product route; health and docs are the server's own. */
export function registerRoutes(app: FastifyInstance, deps: ApiDeps): void {
  registerOperatorSessionRoutes(app, deps);
  registerOperatorJobRoutes(app, deps);
  registerOperatorWorkflowRoutes(app, deps);
  registerOperatorTenantRoutes(app, deps);
  registerOperatorQuarantineRoutes(app, deps);
  registerSignupRoutes(app, deps);
  registerTenantRoutes(app, deps);
}
