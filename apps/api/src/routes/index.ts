import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps';
import { DEFAULT_FRONT_DOOR_SETTINGS, limitTenantWrites } from '../http/front-door';
import { registerOperatorShellUpgrade } from '../http/operator-shell-upgrade';
import { PasswordWorkGate } from '../http/password-work';
import { createRateLimiter } from '../http/rate-limit';
import { registerOperatorAccountRoutes } from './operator/accounts';
import { registerOperatorAlertRoutes } from './operator/alerts';
import { registerOperatorAuditRoutes } from './operator/audit';
import { registerOperatorBoxRoutes } from './operator/boxes';
import { registerOperatorBillingRoutes } from './operator/billing';
import { registerOperatorHostRoutes } from './operator/hosts';
import { registerOperatorInvoiceRoutes } from './operator/invoices';
import { registerOperatorJobRoutes } from './operator/jobs';
import { registerOperatorPlanRoutes } from './operator/plans';
import { registerOperatorQuarantineRoutes } from './operator/quarantine';
import { registerOperatorRolloutRoutes } from './operator/rollouts';
import { registerOperatorSessionRoutes } from './operator/sessions';
import { registerOperatorTenantRoutes } from './operator/tenants';
import { registerOperatorWorkflowRoutes } from './operator/workflows';
import { registerSignupRoutes } from './signup';
import { registerBrowserSessionRoutes } from './browser-sessions';
import { registerOperatorOverviewRoutes } from './operator/overview';
import { registerOperatorBoxDetailRoutes } from './operator/box-detail';
import { registerOperatorBoxActionRoutes } from './operator/box-actions';
import { registerOperatorInvoiceDownloadRoutes } from './operator/invoice-download';
import { registerTenantRoutes } from './tenant';

/** Every product route; health and docs are the server's own. */
export function registerRoutes(app: FastifyInstance, given: ApiDeps): void {
  const frontDoor = given.frontDoor ?? DEFAULT_FRONT_DOOR_SETTINGS;
  // One gate for every route that runs scrypt, so the cap holds for the process, not per route.
  const deps: ApiDeps = {
    ...given,
    frontDoor,
    passwordWork: given.passwordWork ?? new PasswordWorkGate(frontDoor.passwordWork),
  };
  limitTenantWrites(
    app,
    createRateLimiter(deps.redis, `${deps.redisPrefix}:ratelimit:tenant-writes`, frontDoor.tenantWrites),
  );
  registerOperatorSessionRoutes(app, deps);
  registerOperatorJobRoutes(app, deps);
  registerOperatorWorkflowRoutes(app, deps);
  registerOperatorTenantRoutes(app, deps);
  registerOperatorQuarantineRoutes(app, deps);
  registerOperatorBillingRoutes(app, deps);
  registerOperatorRolloutRoutes(app, deps);
  registerOperatorAlertRoutes(app, deps);
  registerOperatorBoxRoutes(app, deps);
  registerOperatorShellUpgrade(app, deps);
  registerOperatorPlanRoutes(app, deps);
  registerOperatorInvoiceRoutes(app, deps);
  registerOperatorAccountRoutes(app, deps);
  registerOperatorAuditRoutes(app, deps);
  registerOperatorHostRoutes(app, deps);
  registerSignupRoutes(app, deps);
  registerTenantRoutes(app, deps);
  registerBrowserSessionRoutes(app, deps);
  registerOperatorOverviewRoutes(app, deps);
  registerOperatorBoxDetailRoutes(app, deps);
  registerOperatorBoxActionRoutes(app, deps);
  registerOperatorInvoiceDownloadRoutes(app, deps);
}
