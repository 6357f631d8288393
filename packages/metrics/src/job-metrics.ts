import type { JobObserver } from '@paddock/jobs';
import { Histogram, type Registry } from 'prom-client';

/** Job attempts this worker ran, by job name, queue and outcome (succeeded, retrying, failed). */
export function createJobMetrics(registry: Registry): JobObserver {
  const duration = new Histogram({
    name: 'paddock_job_duration_seconds',
    help: 'Job attempts run by this worker, by job name, queue and outcome (succeeded, retrying, failed)',
    labelNames: ['name', 'queue', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
    registers: [registry],
  });
  return {
    attemptFinished({ name, queue, outcome, durationMs }) {
      duration.observe({ name, queue, outcome }, durationMs / 1000);
    },
  };
}
