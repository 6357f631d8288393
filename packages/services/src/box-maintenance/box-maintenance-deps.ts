import type { ProvisioningDeps } from '../provisioning/provisioning-deps';

/** What the operator's box jobs (rollback, re-bootstrap) run with: the worker's database, vault, SSH pool, recorder. */
export type BoxMaintenanceDeps = Pick<
  ProvisioningDeps,
  'prisma' | 'pg' | 'vault' | 'ssh' | 'systemNode' | 'layout' | 'recorder'
>;
