import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * One registry per process, labelled with the component (`api`, `worker`), with Node's own figures (event loop
 * lag, heap, GC, open handles) under `paddock_`. Apps pass it to the pieces that add series (HTTP, SSH, jobs,
 * fleet gauges) and serve it on /metrics.
 */
export function createMetricsRegistry(component: 'api' | 'worker'): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ component });
  collectDefaultMetrics({ register: registry, prefix: 'paddock_' });
  return registry;
}

export { Registry };
