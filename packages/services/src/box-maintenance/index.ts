export type { BoxMaintenanceDeps } from './box-maintenance-deps';
export { rebootstrapBox } from './rebootstrap-box';
export { requestBoxRebootstrap } from './request-box-rebootstrap';
export { requestBoxRollback } from './request-box-rollback';
export { rollbackBoxRelease } from './rollback-box-release';
