export { type AdvanceRolloutResult, advanceRollout } from './advance-rollout';
export { type CaughtUpBox, catchUpOfflineBoxes } from './catch-up-offline-boxes';
export { controlRollout, type RolloutAction } from './control-rollout';
export { planBatches, stopReason } from './plan-batches';
export { getRollout, listRollouts, type RolloutBoxView, type RolloutView } from './read-rollouts';
export type { RolloutActor, RolloutDeps } from './rollout-deps';
export { type StartRolloutInput, startRollout } from './start-rollout';
export { notifyRolloutChanged, type RolloutUpdate, watchRollout } from './rollout-changes';
