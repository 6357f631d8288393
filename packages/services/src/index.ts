export { runProbe, type ProbeResult } from './diagnostics/run-probe';
export { enqueueProbe } from './jobs/enqueue-probe';
export { getJobRecord, listJobRecords, type ListJobRecordsInput } from './jobs/list-job-records';
export {
  authenticateOperator,
  loginOperator,
  logoutOperator,
  OPERATOR_SESSION_TTL_MS,
  type OperatorIdentity,
  type OperatorRoleName,
} from './operators/operator-sessions';
export {
  type AuditActor as AuditEntryActor,
  type AuditInput,
  auditRow,
  operatorActor,
  writeAudit,
} from './audit/audit-entry';
export { issueAccountLink, redeemAccountLink } from './operators/account-links';
export {
  changeOperatorRole,
  disableOperator,
  enableOperator,
  inviteOperator,
  listOperators,
  resetOperatorPassword,
} from './operators/manage-operators';
export { resetOperatorPasswordLocally } from './operators/reset-password-locally';
export { searchAudit } from './audit/search-audit';
export { changeMemberRole, inviteMember, listMembers, removeMember } from './members/manage-members';
export { createApiKey, listApiKeys, revokeApiKey } from './tenants/manage-api-keys';
export { activateTenantChainVersion } from './operators/activate-tenant-chain';
export { type ListQuarantineInput, listQuarantine } from './operators/list-quarantine';
export { getOperatorTenant, type ListTenantsInput, listOperatorTenants } from './operators/tenant-overview';
export { authenticateTenantApiKey } from './tenants/authenticate-api-key';
export { signupTenant, type SignupDeps, type SignupInput, type SignupOutcome } from './tenants/signup-tenant';
export { SIGNUP_REPLAY_TTL_MS } from './tenants/signup-idempotency';
export { provisioningJobId, queueProvisioningJob } from './tenants/provisioning-job';
export {
  QUEUED_FOR_PROVISIONING,
  type StartProvisioningResult,
  startProvisioning,
} from './tenants/start-provisioning';
export { type RequestFacts, type TenantIdentity, tenantAuditEntry } from './tenants/tenant-identity';
export { type TenantCredential, tenantActorLabel, tenantAuditActor } from './tenants/tenant-identity';
export { authenticateTenant } from './tenants/authenticate-tenant';
export { authenticateTenantSession } from './tenants/authenticate-tenant-session';
export {
  DEFAULT_TENANT_SESSION_TTL_MS,
  loginTenantUser,
  type TenantLogin,
  type TenantLoginInput,
} from './tenants/login-tenant-user';
export { type SetTenantPasswordInput, setTenantPassword } from './tenants/set-tenant-password';
export { describeTenantCaller, logoutTenantSession } from './tenants/tenant-caller';
export { generateTenantSessionToken, isTenantSessionToken } from './tenants/tenant-session-token';
export {
  deleteTenantSecret,
  listTenantSecrets,
  readTenantSecretValue,
  type SecretSummary,
  secretContext,
  setTenantSecret,
} from './secrets/tenant-secrets';
export { validateUploadedChain, type ValidatedChain } from './chains/chain-files';
export {
  type ChainVersionDetail,
  type ChainVersionSummary,
  chainNotFound,
  getChainVersion,
  listChainVersions,
  type UploadChainInput,
  type UploadOutcome,
  uploadChainVersion,
} from './chains/chain-versions';
export { deployChainVersion } from './chains/deploy-chain-version';
export {
  type ActivationOutcome,
  activateChainVersion,
  activateChainVersionAsOperator,
  finishStaging,
  rollbackChain,
} from './chains/chain-activation';
export { type ChainVersionStaging, getChainVersionStaging } from './chains/staging-view';
export { validateReferenceInputs } from './chains/reference-inputs';
export { deleteSecretAndPush, setSecretAndPush } from './secrets/secret-changes';
export { type ActiveChainOnBox, activeChainOnBox } from './chains/active-chain-on-box';
export type { BoxSyncDeps } from './boxes/box-sync-deps';
export { chainFileOnBox, chainFileProblem, chainVersionDir, filesOnBox } from './chains/chain-paths';
export { syncChainVersion } from './chains/sync-chain-version';
export { stageChainVersion } from './chains/stage-chain-version';
export { pushTenantSecrets } from './secrets/push-tenant-secrets';
export { queueTenantBoxSync } from './box-sync/queue-tenant-box-sync';
export { queueChainStage, queueChainSync, recordChainSync } from './chains/sync-jobs';
export { queueSecretsPush, SECRETS_PUSH_WINDOW_MS } from './secrets/queue-secrets-push';
export { type ChainSummary, listChains } from './chains/list-chains';
export { diffChainVersions, type FileDiff } from './chains/diff-chain-versions';
export { unifiedDiff } from './chains/unified-diff';
export { microsToMinor, readUsage, type UsageGrouping, type UsageReport } from './usage/read-usage';
export { advanceWorkflow, type AdvanceDeps, type AdvanceResult } from './workflows/advance-workflow';
export {
  defineWorkflow,
  type WorkflowDefinition,
  type WorkflowRegistry,
  type WorkflowStep,
  type WorkflowStepContext,
} from './workflows/define-workflow';
export { retryWorkflow } from './workflows/retry-workflow';
export { startWorkflow } from './workflows/start-workflow';
export { loadBoxTarget, sshKeyVaultContext } from './boxes/box-target';
export { type PublishedRelease, publishRuntimeRelease, type RuntimeReleaseSource } from './releases/publish-release';
export { findCurrentRelease, loadCurrentRelease, loadLocalRelease } from './releases/current-release';
export { ensureCurrentRelease } from './releases/ensure-current-release';
export * from './rollouts/index';
export { listReleases, type ReleaseView } from './releases/list-releases';
export { requestReleasePublish } from './releases/request-release';
export type { ProviderRegistry, ProvisioningDeps } from './provisioning/provisioning-deps';
export { createTenantWorkflows } from './provisioning/tenant-workflows';
export { PROVISION_STEPS, provisionWorkflow, provisioningAlertKey } from './provisioning/provision-workflow';
export { deployReleaseStep } from './provisioning/steps/deploy-release-step';
export { deleteWorkflow } from './provisioning/delete-workflow';
export { resumeWorkflow, suspendWorkflow } from './provisioning/suspend-resume-workflows';
export { boxNameFor } from './provisioning/box-name';
export { createStoredKeyPair } from './provisioning/box-keys';
export { replaceHostKeyStep } from './provisioning/steps/replace-host-key-step';
export {
  getWorkflow,
  listWorkflows,
  type ListWorkflowsInput,
  type WorkflowSummary,
} from './provisioning/list-workflows';
export {
  retryTenantWorkflow,
  startTenantWorkflow,
  type TenantWorkflowKind,
} from './provisioning/start-tenant-workflow';
export {
  type CollectorTimings,
  type RunningCollector,
  type StartCollectorOptions,
  startCollector,
} from './collect/start-collector';
export type { BatchListener, CollectorLog } from './collect/box-collector';
export {
  type AuditActor,
  createPrismaFleetRecorder,
  type PrismaFleetRecorder,
  type PrismaFleetRecorderOptions,
} from './deploys/prisma-fleet-recorder';
export { createPrismaDeployLock, type PrismaDeployLockOptions } from './deploys/prisma-deploy-lock';
export {
  type GatewayConnector,
  type BoxFile,
  BoxGateway,
  type BoxGatewayOptions,
  boxError,
} from './boxes/box-gateway';
export { localGatewayConnector, sshGatewayConnector } from './boxes/gateway-connectors';
export { loadBoxTargetWithPrisma } from './boxes/load-box-target-prisma';
export { type StartRunInput, startRun } from './runs/start-run';
export { type StartRunOutcome, startRunOnce } from './runs/start-run-once';
export { getRun, type ListRunsInput, listRuns } from './runs/read-runs';
export type { RunSummary } from './runs/run-replies';
export { listRunEvents, readRunEvents, type RunEventPage, runIsOver } from './runs/run-events';
export { cancelRun, type RunActionResult, replayRun } from './runs/run-actions';
export { readStepOutput } from './runs/step-output';
export { type DecisionReply, getDecision, type ListDecisionsInput, listDecisions } from './decisions/list-decisions';
export { type DecisionChoice, decide } from './decisions/decide';
export {
  MAX_WATCHED_DECISIONS,
  type PendingDecisionChange,
  watchPendingDecisions,
} from './decisions/watch-pending-decisions';
export { ChangeFeed, type ChangeFeedLog, type ChangeWatch } from './changes/change-feed';
export { CHANGES_CHANNEL, type ChangeTopic, notifyChanges } from './changes/change-topics';
export {
  ingestNdjson,
  type NdjsonIngestOptions,
  type NdjsonIngestResult,
} from './ingest/ingest-ndjson';
export {
  CursorMovedError,
  importEvents,
  ingestEvents,
  type IngestBatch,
  type IngestResult,
} from './ingest/ingest-events';
export type { BoxTerminal, BoxTerminalEnd, BoxTerminalHandlers } from './boxes/box-terminal';
export { openStepTerminal, type StepTerminal, type StepTerminalInput } from './terminal/open-step-terminal';
export { type TerminalSlot, TerminalSlots, type TerminalSlotsOptions } from './terminal/terminal-slots';
export { type ListOperatorAlertsInput, listOperatorAlerts, listTenantAlerts } from './alerts/list-alerts';
export { WATCHDOG_ALERT_CODE } from './ingest/watchdog-alerts';
export { getBoxHealth } from './box-health/box-health-view';
export { DEFAULT_BOX_HEALTH_RULES, type BoxHealthRules, judgeBoxHealth } from './box-health/judge-box-health';
export { hostKeyAlertKey, recordHostKeyMismatch } from './box-health/record-host-key-mismatch';
export { type RepinHostKeyInput, type RepinHostKeyResult, repinBoxHostKey } from './box-health/repin-host-key';
export { markSilentBoxes, silentAlertKey } from './box-health/mark-silent-boxes';
export { lostRunsAlertKey, markLostRuns } from './box-health/mark-lost-runs';
export { reviveLostRuns } from './box-health/revive-lost-runs';
export { pinnedBoxAddresses } from './box-health/pinned-local-addresses';
export { type RecoveredLocalBoxes, recoverLocalBoxes } from './box-health/recover-local-boxes';
export { type OperatorShellSession, openOperatorShellSession } from './box-health/operator-shell-session';
export { runOperatorBoxCommand } from './box-health/operator-box-exec';
export * from './billing';
export { admitRun, ACTIVE_RUN_STATUSES } from './limits/admit-run';
export { billingPeriodOf, type BillingPeriod } from './limits/billing-period';
export { boxCapsFor, currentBoxCaps, currentBoxCapsWithPool } from './limits/box-caps';
export { periodSpendMicros, spendSnapshot } from './limits/period-spend';
export { createPlan, deactivatePlan, getPlan, listPlans, updatePlan } from './plans/manage-plans';
export { closeMonth, type CloseMonthDeps, type CloseMonthInput, type CloseMonthResult } from './invoices/close-month';
export {
  issueInvoice,
  markInvoicePaid,
  type OperatorActor,
  regenerateDraft,
  voidInvoice,
  type VoidOutcome,
} from './invoices/invoice-actions';
export { getInvoice, invoiceSummary, listInvoices, type ListInvoicesInput } from './invoices/read-invoices';
export { type InvoiceFormat, renderInvoice } from './invoices/render-invoice';
export { settledCutoff } from './invoices/settle-cutoff';
export { changeTenantPlan, type ChangePlanInput } from './subscriptions/change-plan';
export { endDueTrials, TRIAL_SUSPEND_KEY_PREFIX } from './subscriptions/end-trials';
export { enqueueMonthClose } from './invoices/enqueue-close';
export * from './monitoring/index';
export * from './webhooks/index';
export { acknowledgeOperatorAlert, acknowledgeTenantAlert } from './alerts/acknowledge-alert';
export { readOperatorOverview } from './console/read-operator-overview';
export { readOperatorTenantCosts } from './console/read-operator-tenant-costs';
export { type ReencryptReport, reencryptVaultRows } from './vault-rotation/reencrypt-vault-rows';
export * from './hosts/index';
export { listBoxes } from './boxes/list-boxes';
// Used by the end-to-end tests and benches, which once imported these files by path (the package exports only this).
export { type BoxConnector, Collector, type CollectorOptions } from './collect/collector';
export { localSystemFigures } from './collect/record-box-health';
export { resolveAlerts } from './alerts/raise-alert';
export { copyRows } from './ingest/copy-rows';
export { eventRow } from './ingest/event-rows';
export { getBoxDetail } from './boxes/box-detail';
export * from './box-maintenance/index';
