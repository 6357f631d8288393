import { ExecError, FleetError, isFleetError } from '../errors';
import type { LocalRelease } from '../release/build-release';
import { discardEvents, type DeployOutcome, type DeployStep, type FleetRecorder } from '../recorder';
import type { ShellCommand } from '../shell';
import type { SshConnection } from '../ssh-connection';
import type { BoxTarget } from '../ssh-options';
import type { SshPool } from '../ssh-pool';
import { type BoxLayout, checkLayout, DEFAULT_BOX_LAYOUT } from './box-layout';
import { acquireBoxLock, type BoxState, type HeldBoxLock } from './box-lock';
import type { DeployLockProvider } from './deploy-lock-provider';
import { type HealthCheckPlan, installScript, rollbackScript, SCRIPT_EXIT } from './deploy-scripts';
import { DeploySession } from './deploy-session';
import { filesToSend, planUpload, type UploadProgress, uploadMissingFiles } from './upload-missing-files';
import type { UploadSlots } from './upload-slots';

export interface BoxDeployProgress {
  boxId: string;
  step: DeployStep;
  upload?: UploadProgress;
}

export interface DeployBoxOptions {
  pool: SshPool;
  target: BoxTarget;
  release: LocalRelease;
  /** Names the deploy in records, in the box's lock holder and in temporary paths: [A-Za-z0-9_-], at most 64. */
  deployId: string;
  layout?: BoxLayout;
  recorder?: FleetRecorder;
  lockProvider?: DeployLockProvider;
  /** How long to wait for another deploy's box lock; 0 (default) refuses at once. */
  lockWaitMs?: number;
  health?: Partial<HealthCheckPlan>;
  keepReleases?: number;
  /** Shared by a rollout's deploys: how many boxes upload at once. */
  uploadSlots?: UploadSlots;
  /** Attempts after a dropped connection or a corrupt upload, first one included. */
  maxAttempts?: number;
  /** Deadline of the remote install (verify, assemble, switch, restart, health). */
  installTimeoutMs?: number;
  onProgress?: (progress: BoxDeployProgress) => void;
  /** Every output line of the box, as it arrives (the live deploy log). */
  onLog?: (line: string) => void;
}

export interface BoxDeployResult {
  deployId: string;
  boxId: string;
  version: string;
  outcome: DeployOutcome;
  previousVersion: string | null;
  activeVersion: string | null;
  bytesUploaded: number;
  filesUploaded: number;
  attempts: number;
  durationMs: number;
  logTail: string;
  error?: { failure: string; message: string };
}

const PACED_UPLOAD_BYTES = 8 * 1024 * 1024;
const DEFAULT_INSTALL_TIMEOUT_MS = 5 * 60_000;
// An inline script travels in the exec request, as one argument of the box's shell (Linux caps one at 128 KiB).
const INLINE_SCRIPT_MAX_CHARS = 64 * 1024;
const DEPLOY_ID = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/;
export const DEFAULT_HEALTH_CHECK: HealthCheckPlan = { attempts: 40, intervalSeconds: 0.5 };

/**
 * Deploys a release to one box, the careful way: take the lock, upload only what the box lacks, verify every hash
 * on the box, assemble, switch `current` atomically, restart, check health, and roll back by itself when the health
 * check fails. Box-level failures come back as an outcome (the rollout decides what they mean); only bad input throws.
 */
export async function deployToBox(options: DeployBoxOptions): Promise<BoxDeployResult> {
  if (!DEPLOY_ID.test(options.deployId)) {
    throw new FleetError(
      'invalid_input',
      `Deploy id must be 1-64 letters, digits, _ or - (not first): ${JSON.stringify(options.deployId)}`,
    );
  }
  const layout = checkLayout(options.layout ?? DEFAULT_BOX_LAYOUT);
  const health = { ...DEFAULT_HEALTH_CHECK, ...options.health };
  const { target, release } = options;
  const version = release.manifest.version;
  const started = Date.now();
  const session = new DeploySession(options.deployId, target.id, options.recorder ?? discardEvents, options.onLog);
  const progress = (step: DeployStep, upload?: UploadProgress) =>
    options.onProgress?.({ boxId: target.id, step, upload });
  await session.record({
    type: 'deploy.started',
    deployId: options.deployId,
    boxId: target.id,
    version,
    kind: 'deploy',
  });

  let previousVersion: string | null = null;
  let activeVersion: string | null = null;
  let outcome: DeployOutcome = 'failed';
  let failure: FleetError | undefined;
  let bytesUploaded = 0;
  let filesUploaded = 0;
  let attempts = 0;
  let external: { release(): Promise<void> } | undefined;

  try {
    if (options.lockProvider) {
      external = await options.lockProvider.acquire({ boxId: target.id, deployId: options.deployId });
    }
    const maxAttempts = options.maxAttempts ?? 3;
    for (attempts = 1; attempts <= maxAttempts; attempts++) {
      let held: HeldBoxLock | undefined;
      try {
        progress('lock');
        const connection = await options.pool.connect(target);
        held = await acquireBoxLock(connection, layout, {
          holder: `deploy ${options.deployId} of ${version} since ${new Date().toISOString()}`,
          deployId: options.deployId,
          waitMs: options.lockWaitMs ?? 0,
        });
        if (attempts === 1) {
          previousVersion = held.state.currentVersion;
          await session.step('lock', 'succeeded');
          await session.step('inspect', 'succeeded', describeState(held.state));
        } else session.line(`attempt ${attempts}: lock taken again`);
        activeVersion = held.state.currentVersion;

        const plan = planUpload(release, held.state);
        const script = installScript({
          layout,
          release,
          deployId: options.deployId,
          health,
          pruneVersions: versionsToPrune(held.state, version, options.keepReleases ?? 5),
        });
        const installLabel = `install release ${version}`;
        const installTimeoutMs = options.installTimeoutMs ?? DEFAULT_INSTALL_TIMEOUT_MS;
        try {
          if (plan.files.length === 0) {
            if (attempts === 1) await session.step('upload', 'skipped', 'the box has every file');
            progress('verify');
            await runScript(connection, session, script, installLabel, installTimeoutMs);
          } else {
            progress('upload');
            await session.step('upload', 'started', `files=${plan.files.length} bytes=${plan.bytes}`);
            const { state } = held;
            // Small uploads (an upgrade's few changed files) skip the queue: pacing matters for bulk transfers only.
            // They also carry the install in the same exec, which saves a session setup per box; a bulk upload
            // does not, or it would hold its upload slot through the restart and health check.
            const paced = options.uploadSlots && plan.bytes >= PACED_UPLOAD_BYTES ? options.uploadSlots : undefined;
            const inline = !paced && script.text.length <= INLINE_SCRIPT_MAX_CHARS;
            const sending = filesToSend(plan, state.partialUploads);
            const output = inline ? [session.scriptOutput(), session.scriptOutput()] : [];
            const upload = () =>
              uploadMissingFiles(connection, release, plan, {
                incomingDir: `${layout.installDir}/incoming/${options.deployId}`,
                partialUploads: state.partialUploads,
                boxHasZstd: state.hasZstd,
                onProgress: (p) => {
                  progress('upload', p);
                  if (inline && p.bytesSent === p.bytesTotal) progress('verify');
                },
                ...(inline
                  ? {
                      afterUpload: {
                        script,
                        timeoutMs: installTimeoutMs,
                        onStdout: (c: Buffer) => output[0]?.push(c),
                        onStderr: (c: Buffer) => output[1]?.push(c),
                      },
                    }
                  : {}),
              });
            let sent: Awaited<ReturnType<typeof upload>>;
            try {
              sent = await (paced ? paced.run(upload) : upload());
            } catch (error) {
              // The files arrived and were verified: the release failed later, in its health check.
              if (inline && error instanceof ExecError && error.exitCode === SCRIPT_EXIT.healthFailed) {
                bytesUploaded += sending.reduce((n, f) => n + f.size, 0);
                filesUploaded += sending.length;
              }
              throw error;
            } finally {
              for (const reader of output) reader.end();
              await session.flush();
            }
            bytesUploaded += sent.bytes;
            filesUploaded += sent.files;
            if (!inline) {
              await session.step(
                'upload',
                'succeeded',
                `files=${sent.files} bytes=${sent.bytes} sent=${sent.wireBytes}`,
              );
              progress('verify');
              await runScript(connection, session, script, installLabel, installTimeoutMs);
            }
          }
          activeVersion = version;
          outcome =
            session.seen.get('activate') === 'skipped' && session.seen.get('restart') === 'skipped'
              ? 'unchanged'
              : 'succeeded';
        } catch (error) {
          if (!(error instanceof ExecError) || error.exitCode !== SCRIPT_EXIT.healthFailed) throw error;
          progress('rollback');
          const rolledBack = await rollBackAfterFailedHealth(connection, session, layout, previousVersion, health);
          outcome = rolledBack ? 'rolled_back' : 'failed';
          activeVersion = rolledBack ? previousVersion : null;
          failure = new FleetError(
            'health_check_failed',
            `Release ${version} failed its health check on box ${target.id}; ${
              rolledBack
                ? `rolled back to ${previousVersion}`
                : previousVersion
                  ? 'the rollback failed too'
                  : 'no earlier release, runtime stopped'
            }`,
            { boxId: target.id, cause: error },
          );
        }
        break;
      } catch (error) {
        const retry = attempts < (options.maxAttempts ?? 3) && isRetriable(error);
        session.line(`attempt ${attempts} failed: ${describeError(error)}${retry ? '; trying again' : ''}`);
        if (!retry) throw error;
      } finally {
        await held?.release().catch(() => {});
      }
    }
  } catch (error) {
    if (!isFleetError(error)) throw error;
    failure = error;
    outcome = 'failed';
    await recordFailedStep(session, error);
  } finally {
    await external?.release().catch(() => {});
  }

  const result: BoxDeployResult = {
    deployId: options.deployId,
    boxId: target.id,
    version,
    outcome,
    previousVersion,
    activeVersion,
    bytesUploaded,
    filesUploaded,
    attempts: Math.min(attempts, options.maxAttempts ?? 3),
    durationMs: Date.now() - started,
    logTail: session.log.text(),
  };
  if (failure) result.error = { failure: failure.failure, message: failure.message };
  await session.record({
    type: 'deploy.finished',
    deployId: options.deployId,
    boxId: target.id,
    version,
    outcome,
    previousVersion,
    activeVersion,
    bytesUploaded,
    filesUploaded,
    logTail: result.logTail,
    ...(result.error ? { error: result.error } : {}),
  });
  return result;
}

export async function runScript(
  connection: SshConnection,
  session: DeploySession,
  script: ShellCommand,
  label: string,
  timeoutMs = DEFAULT_INSTALL_TIMEOUT_MS,
): Promise<void> {
  const out = session.scriptOutput();
  const err = session.scriptOutput();
  try {
    await connection.execScript(script, {
      label,
      timeoutMs,
      onStdout: (c) => out.push(c),
      onStderr: (c) => err.push(c),
    });
  } finally {
    out.end();
    err.end();
    await session.flush();
  }
}

async function rollBackAfterFailedHealth(
  connection: SshConnection,
  session: DeploySession,
  layout: BoxLayout,
  previousVersion: string | null,
  health: HealthCheckPlan,
): Promise<boolean> {
  try {
    const script = rollbackScript({ layout, version: previousVersion, health });
    await runScript(connection, session, script, `roll back to ${previousVersion ?? 'nothing'}`);
    return previousVersion !== null;
  } catch (error) {
    session.line(`rollback failed: ${describeError(error)}`);
    return false;
  }
}

/** Keep the newest `keep` versions that passed health (the new one included) and whatever `current` is. */
export function versionsToPrune(state: BoxState, newVersion: string, keep: number): string[] {
  const order = [...state.history.filter((v) => v !== newVersion), newVersion];
  const kept = new Set(order.slice(-keep));
  if (state.currentVersion) kept.add(state.currentVersion);
  return [...state.releases.keys()].filter((v) => !kept.has(v) && v !== newVersion);
}

// A corrupt upload was deleted on the box, so sending it again is the fix; a dropped link just needs a new one.
function isRetriable(error: unknown): boolean {
  if (error instanceof ExecError) return error.exitCode === SCRIPT_EXIT.corruptUpload;
  return isFleetError(error) && error.retriable;
}

async function recordFailedStep(session: DeploySession, error: FleetError): Promise<void> {
  const entries = [...session.seen.entries()];
  if (entries.some(([, status]) => status === 'failed')) return; // the box already said which step failed
  const open = entries.find(([, status]) => status === 'started');
  const step =
    error.failure === 'deploy_locked' || error.failure === 'not_bootstrapped' ? 'lock' : (open?.[0] ?? 'lock');
  await session.step(step, 'failed', error.message);
}

function describeState(state: BoxState): string {
  return `current=${state.currentVersion ?? 'none'} releases=${state.releases.size} objects=${state.storeObjects.size}`;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
