import { Histogram, type Registry } from 'prom-client';

export interface HttpObservation {
  method: string;
  /** The route's pattern (`/v1/operator/tenants/:id`), never the raw URL: ids, emails and scans stay out of labels. */
  route: string;
  statusCode: number;
  seconds: number;
}

/** Requests the API answered, by method, route pattern and status. */
export function createHttpMetrics(registry: Registry): { observe(observation: HttpObservation): void } {
  const duration = new Histogram({
    name: 'paddock_http_request_duration_seconds',
    help: 'HTTP requests answered, by method, route pattern (unmatched for no route) and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  return {
    observe({ method, route, statusCode, seconds }) {
      duration.observe({ method, route, status_code: String(statusCode) }, seconds);
    },
  };
}
