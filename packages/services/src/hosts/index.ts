export { assignHost } from './assign-host';
export { type BootstrapHostDeps, bootstrapHost } from './bootstrap-host';
export { type HostOperator, type HostView, hostView } from './host-view';
export { listHosts } from './list-hosts';
export { probeHost } from './probe-host';
export { type RegisterHostInput, registerHost } from './register-host';
