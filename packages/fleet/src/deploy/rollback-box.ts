import { FleetError, isFleetError } from '../errors';
import { discardEvents, type DeployOutcome, type FleetRecorder } from '../recorder';
import type { BoxTarget } from '../ssh-options';
import type { SshPool } from '../ssh-pool';
import { type BoxLayout, checkLayout, DEFAULT_BOX_LAYOUT } from './box-layout';
import { acquireBoxLock, type HeldBoxLock } from './box-lock';
import type { DeployLockProvider } from './deploy-lock-provider';
import { rollbackScript } from './deploy-scripts';
import { DeploySession } from './deploy-session';
import { type BoxDeployResult, DEFAULT_HEALTH_CHECK, runScript } from './deploy-to-box';

export interface RollbackBoxOptions {
  pool: SshPool;
  target: BoxTarget;
  deployId: string;
  /** A release kept on the box; default: the newest healthy release before the current one. */
  toVersion?: string;
  layout?: BoxLayout;
  recorder?: FleetRecorder;
  lockProvider?: DeployLockProvider;
  lockWaitMs?: number;
  onLog?: (line: string) => void;
}

/** Rolls a box back to one of its kept releases, on an operator's demand: same lock, restart and health check. */
export async function rollbackBox(options: RollbackBoxOptions): Promise<BoxDeployResult> {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/.test(options.deployId)) {
    throw new FleetError(
      'invalid_input',
      `Deploy id must be 1-64 letters, digits, _ or - (not first): ${JSON.stringify(options.deployId)}`,
    );
  }
  const layout = checkLayout(options.layout ?? DEFAULT_BOX_LAYOUT);
  const { target } = options;
  const started = Date.now();
  const session = new DeploySession(options.deployId, target.id, options.recorder ?? discardEvents, options.onLog);
  const requested = options.toVersion ?? '(previous)';
  await session.record({
    type: 'deploy.started',
    deployId: options.deployId,
    boxId: target.id,
    version: requested,
    kind: 'rollback',
  });

  let outcome: DeployOutcome = 'failed';
  let previousVersion: string | null = null;
  let activeVersion: string | null = null;
  let version = requested;
  let failure: FleetError | undefined;
  let external: { release(): Promise<void> } | undefined;
  let held: HeldBoxLock | undefined;
  try {
    external = await options.lockProvider?.acquire({ boxId: target.id, deployId: options.deployId });
    const connection = await options.pool.connect(target);
    held = await acquireBoxLock(connection, layout, {
      holder: `rollback ${options.deployId} since ${new Date().toISOString()}`,
      deployId: options.deployId,
      waitMs: options.lockWaitMs ?? 0,
    });
    await session.step('lock', 'succeeded');
    previousVersion = held.state.currentVersion;
    activeVersion = previousVersion;
    const candidates = held.state.history.filter((v) => v !== previousVersion && held?.state.releases.has(v));
    const chosen = options.toVersion ?? candidates[candidates.length - 1];
    if (!chosen || !held.state.releases.has(chosen)) {
      throw new FleetError(
        'release_not_found',
        options.toVersion
          ? `Release ${options.toVersion} is not kept on box ${target.id} (kept: ${[...held.state.releases.keys()].join(', ') || 'none'})`
          : `Box ${target.id} keeps no earlier release to roll back to`,
        { boxId: target.id },
      );
    }
    version = chosen;
    await session.step('inspect', 'succeeded', `current=${previousVersion ?? 'none'} target=${chosen}`);
    await runScript(
      connection,
      session,
      rollbackScript({ layout, version: chosen, health: DEFAULT_HEALTH_CHECK }),
      `roll back to ${chosen}`,
    );
    outcome = chosen === previousVersion ? 'unchanged' : 'succeeded';
    activeVersion = chosen;
  } catch (error) {
    if (!isFleetError(error)) throw error;
    failure = error;
    if (![...session.seen.values()].includes('failed')) await session.step('rollback', 'failed', error.message);
  } finally {
    await held?.release().catch(() => {});
    await external?.release().catch(() => {});
  }
  const logTail = session.log.text();
  const result: BoxDeployResult = {
    deployId: options.deployId,
    boxId: target.id,
    version,
    outcome,
    previousVersion,
    activeVersion: failure ? null : activeVersion,
    bytesUploaded: 0,
    filesUploaded: 0,
    attempts: 1,
    durationMs: Date.now() - started,
    logTail,
  };
  if (failure) result.error = { failure: failure.failure, message: failure.message };
  await session.record({
    type: 'deploy.finished',
    deployId: options.deployId,
    boxId: target.id,
    version,
    outcome,
    previousVersion,
    activeVersion: result.activeVersion,
    bytesUploaded: 0,
    filesUploaded: 0,
    logTail,
    ...(result.error ? { error: result.error } : {}),
  });
  return result;
}
