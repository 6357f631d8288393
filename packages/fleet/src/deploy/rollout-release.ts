import { FleetError } from '../errors';
import type { LocalRelease } from '../release/build-release';
import { discardEvents, type FleetRecorder } from '../recorder';
import type { BoxTarget } from '../ssh-options';
import type { SshPool } from '../ssh-pool';
import type { BoxLayout } from './box-layout';
import type { DeployLockProvider } from './deploy-lock-provider';
import { UploadSlots } from './upload-slots';
import { type BoxDeployProgress, type BoxDeployResult, type DeployBoxOptions, deployToBox } from './deploy-to-box';

export interface RolloutOptions {
  pool: SshPool;
  release: LocalRelease;
  targets: BoxTarget[];
  /** Names the rollout; each box's deploy id is `<rolloutId>-<index>`. [A-Za-z0-9_-], at most 48. */
  rolloutId: string;
  recorder?: FleetRecorder;
  lockProvider?: DeployLockProvider;
  layout?: BoxLayout;
  /** Boxes deployed at once. Default 8. */
  concurrency?: number;
  /**
   * Boxes uploading at once (the rest of each box's deploy is not limited). Default: a quarter of `concurrency`,
   * at least 2, so boxes finish their uploads in waves and their remote steps overlap other boxes' uploads.
   */
  parallelUploads?: number;
  /** Boxes deployed first, on their own; any failure among them stops the rollout. Default 1 (0: no canary). */
  canarySize?: number;
  /** Stop launching deploys once failed/finished exceeds this (0..1), judged after `minSampleForStop`. Default 0.2. */
  maxFailureRate?: number;
  minSampleForStop?: number;
  /** Per-box deploy settings (health check, retries, upload concurrency). */
  perBox?: Pick<DeployBoxOptions, 'health' | 'maxAttempts' | 'keepReleases' | 'lockWaitMs' | 'installTimeoutMs'>;
  onProgress?: (progress: BoxDeployProgress) => void;
  onBoxFinished?: (result: BoxDeployResult) => void;
  onLog?: (boxId: string, line: string) => void;
}

export interface RolloutResult {
  rolloutId: string;
  version: string;
  results: BoxDeployResult[];
  /** Boxes never started because the rollout stopped. */
  skipped: string[];
  stopped: { reason: string } | null;
}

/**
 * Deploys one release to many boxes: a canary batch first, then the rest with a concurrency limit, stopping (no new
 * boxes; running ones finish) when too many fail. A rolled-back box counts as failed: its release did not hold.
 */
export async function rolloutRelease(options: RolloutOptions): Promise<RolloutResult> {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_-]{0,47}$/.test(options.rolloutId)) {
    throw new FleetError(
      'invalid_input',
      `Rollout id must be 1-48 letters, digits, _ or - (not first): ${JSON.stringify(options.rolloutId)}`,
    );
  }
  const recorder = options.recorder ?? discardEvents;
  const version = options.release.manifest.version;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const canarySize = Math.min(options.canarySize ?? 1, options.targets.length);
  const uploadSlots = new UploadSlots(options.parallelUploads ?? Math.max(2, Math.ceil(concurrency / 4)));
  const maxFailureRate = options.maxFailureRate ?? 0.2;
  const minSample = options.minSampleForStop ?? Math.max(3, canarySize);
  const results: BoxDeployResult[] = [];
  let failed = 0;
  let stopped: { reason: string } | null = null;
  const total = options.targets.length;
  let progressChain: Promise<void> = Promise.resolve();

  const deployOne = async (target: BoxTarget, index: number, phase: 'canary' | 'fleet') => {
    const result = await deployToBox({
      ...options.perBox,
      pool: options.pool,
      target,
      release: options.release,
      deployId: `${options.rolloutId}-${index}`,
      recorder,
      lockProvider: options.lockProvider,
      layout: options.layout,
      uploadSlots,
      onProgress: options.onProgress,
      onLog: options.onLog ? (line) => options.onLog?.(target.id, line) : undefined,
    });
    results.push(result);
    if (result.outcome === 'failed' || result.outcome === 'rolled_back') failed++;
    options.onBoxFinished?.(result);
    const event = {
      type: 'rollout.progress' as const,
      rolloutId: options.rolloutId,
      version,
      done: results.length,
      total,
      failed,
      phase,
    };
    progressChain = progressChain.then(() => recorder.record(event));
    await progressChain;
  };

  const runBatch = async (batch: { target: BoxTarget; index: number }[], phase: 'canary' | 'fleet') => {
    let next = 0;
    const worker = async () => {
      while (next < batch.length && !stopped) {
        const item = batch[next++]!;
        await deployOne(item.target, item.index, phase);
        if (phase === 'fleet' && results.length >= minSample && failed / results.length > maxFailureRate) {
          stopped ??= { reason: `failure rate ${failed}/${results.length} is above ${maxFailureRate}` };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, batch.length) }, worker));
  };

  const indexed = options.targets.map((target, index) => ({ target, index }));
  await runBatch(indexed.slice(0, canarySize), 'canary');
  if (failed > 0) stopped = { reason: `canary failed on ${failed} of ${canarySize} box(es)` };
  if (!stopped) await runBatch(indexed.slice(canarySize), 'fleet');

  const started = new Set(results.map((r) => r.boxId));
  const skipped = options.targets.filter((t) => !started.has(t.id)).map((t) => t.id);
  if (stopped)
    await recorder.record({ type: 'rollout.stopped', rolloutId: options.rolloutId, version, reason: stopped.reason });
  return { rolloutId: options.rolloutId, version, results, skipped, stopped };
}
