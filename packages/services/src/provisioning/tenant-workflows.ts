import type { WorkflowRegistry } from '../workflows/define-workflow';
import { deleteWorkflow } from './delete-workflow';
import { provisionWorkflow } from './provision-workflow';
import type { ProvisioningDeps } from './provisioning-deps';
import { resumeWorkflow, suspendWorkflow } from './suspend-resume-workflows';

/** Every tenant workflow the worker runs, bound to its clients. */
export function createTenantWorkflows(deps: ProvisioningDeps): WorkflowRegistry {
  return {
    provision: provisionWorkflow(deps),
    suspend: suspendWorkflow(deps),
    resume: resumeWorkflow(deps),
    delete: deleteWorkflow(deps),
  };
}
