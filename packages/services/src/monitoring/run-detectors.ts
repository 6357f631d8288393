import {
  detectCheckPassRate,
  detectDayCostDrift,
  detectModelErrors,
  detectModelLatency,
  detectOutputSize,
  detectPromptDrift,
  detectQueueBacklog,
  detectQuietBox,
  detectRetries,
  detectRunCostDrift,
  detectStalledSteps,
  detectWatchdogKills,
  type Finding,
} from '@paddock/monitoring';
import type { DetectorSettings } from './detector-settings';
import type { BoxSignals } from './load-box-signals';
import type { ChainHistory } from './load-chain-history';
import type { ModelCalls } from './load-model-calls';

/** Pure: the loaded history in, every detector's finding out (no I/O, so the benchmark can time it apart). */
export function runDetectors(
  input: { chains: ChainHistory[]; models: ModelCalls[]; box: BoxSignals },
  now: number,
  settings: DetectorSettings,
): Finding[] {
  const findings: Finding[] = [];
  for (const chain of input.chains) {
    const scope = { tenantId: chain.tenantId, chainId: chain.chainId };
    findings.push(detectRunCostDrift(scope, chain.runs, now, settings.cost));
    findings.push(detectDayCostDrift(scope, chain.runs, now, settings.cost));
    for (const [step, attempts] of chain.steps) {
      const stepScope = { ...scope, step };
      findings.push(detectCheckPassRate(stepScope, attempts, now, settings.quality));
      findings.push(detectRetries(stepScope, attempts, now, settings.quality));
      findings.push(detectOutputSize(stepScope, attempts, now, settings.quality));
    }
    for (const [chainVersionId, runs] of chain.versions) {
      findings.push(detectPromptDrift({ ...scope, chainVersionId }, runs, now, settings.prompt));
    }
  }
  for (const model of input.models) {
    // Operators see a model across tenants; each tenant sees it over its own calls.
    findings.push(detectModelLatency({ model: model.model }, model.all, now, settings.model));
    findings.push(detectModelErrors({ model: model.model }, model.all, now, settings.model));
    for (const [tenantId, calls] of model.byTenant) {
      findings.push(detectModelLatency({ tenantId, model: model.model }, calls, now, settings.model));
      findings.push(detectModelErrors({ tenantId, model: model.model }, calls, now, settings.model));
    }
  }
  for (const [boxId, entry] of input.box.kills) {
    findings.push(detectWatchdogKills({ tenantId: entry.tenantId, boxId }, entry.kills, now, settings.box));
  }
  for (const [tenantId, running] of input.box.stalled) {
    findings.push(detectStalledSteps({ tenantId }, running, now, settings.box));
  }
  for (const box of input.box.quiet) {
    findings.push(
      detectQuietBox({ tenantId: box.tenantId, boxId: box.boxId }, box.runStarts, box.lastEventAt, now, settings.box),
    );
  }
  for (const [tenantId, queued] of input.box.queued) {
    findings.push(detectQueueBacklog({ tenantId }, queued, now, settings.box));
  }
  return findings;
}
