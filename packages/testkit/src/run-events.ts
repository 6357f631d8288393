import { RunEventSchema, type RunEvent, type RunEventInput } from '@paddock/contracts';

/** A run's events as the runtime writes them: numbered from 1, a second apart from `start`, each schema-checked. */
export function runEvents(
  runId: string,
  events: Omit<RunEventInput, 'run_id' | 'seq' | 'timestamp'>[],
  start = Date.UTC(2026, 0, 1),
) {
  return events.map(
    (e, i): RunEvent =>
      RunEventSchema.parse({ ...e, run_id: runId, seq: i + 1, timestamp: new Date(start + i * 1000).toISOString() }),
  );
}
