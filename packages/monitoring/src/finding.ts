/**
 * What a detector says about one scope (a chain, a step, a model, a box, a tenant's queue) at one moment. The
 * evaluator stores a `firing` finding as an open alert (one per `key` while open) and resolves the open alert of a
 * scope whose finding is `normal` again. `insufficient` (too little history to judge) changes nothing.
 */
export type AlertKind =
  | 'cost_drift_run'
  | 'cost_drift_day'
  | 'quality_check_pass_rate'
  | 'quality_retries'
  | 'quality_output_size'
  | 'model_latency'
  | 'model_errors'
  | 'prompt_drift'
  | 'watchdog_kills'
  | 'steps_stalled'
  | 'box_quiet'
  | 'runs_queued';

export type Severity = 'info' | 'warning' | 'critical';

/** Who and what the signal is about; absent fields are "all" (a model across tenants has no tenantId). */
export interface Scope {
  tenantId?: string;
  chainId?: string;
  chainVersionId?: string;
  step?: string;
  model?: string;
  boxId?: string;
}

export interface Window {
  from: string;
  to: string;
}

/** Why it fired: enough for a person to judge without a query. */
export interface Evidence {
  metric: string;
  baseline: number;
  current: number;
  /** The threshold the current value crossed (baseline x factor, baseline + slack, ...). */
  threshold: number;
  baselineWindow: Window;
  currentWindow: Window;
  baselineSamples: number;
  currentSamples: number;
  sampleRunIds: string[];
}

export type Finding =
  | { state: 'firing'; kind: AlertKind; severity: Severity; scope: Scope; message: string; evidence: Evidence[] }
  | { state: 'normal'; kind: AlertKind; scope: Scope }
  | { state: 'insufficient'; kind: AlertKind; scope: Scope; reason: string };

/** The stable identity of a signal: the same condition on the same scope is one alert while it is open. */
export function findingKey(finding: Pick<Finding, 'kind' | 'scope'>): string {
  const s = finding.scope;
  const parts = [s.tenantId, s.chainId, s.chainVersionId, s.step, s.model, s.boxId].map((part) => part ?? '*');
  return `monitor:${finding.kind}:${parts.join(':')}`;
}

export function isoWindow(from: number, to: number): Window {
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}
