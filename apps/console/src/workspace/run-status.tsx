import { RUN_STATUS_VALUES } from '@paddock/contracts';

export const RUN_STATUSES = RUN_STATUS_VALUES;

/** A run's or step's status as a labelled badge (the text says it; the colour only repeats it). */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`status status-${status}`}>{status.replace(/_/g, ' ')}</span>;
}

/** Whether a run can still change by itself (its page keeps following it). */
export function runIsLive(status: string): boolean {
  // `lost` is not final: the box coming back moves the run on.
  return status === 'queued' || status === 'running' || status === 'waiting_decision' || status === 'lost';
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatCost(minor: number, currency = 'USD'): string {
  return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(minor / 100);
}
