/**
 * The control plane's side of the per-box deploy lock (the box holds its own flock too). The service layer
 * implements it with Postgres (a row per box, or an advisory lock) so that two workers never even start deploying
 * to one box; `acquire` throws `FleetError('deploy_locked')` when another deploy holds it.
 */
export interface DeployLockProvider {
  acquire(input: { boxId: string; deployId: string }): Promise<{ release(): Promise<void> }>;
}
