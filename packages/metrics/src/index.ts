export { registerFleetGauges, type FleetGaugeSources } from './fleet-gauges';
export { createHttpMetrics, type HttpObservation } from './http-metrics';
export { createJobMetrics } from './job-metrics';
export { startMetricsServer, type MetricsServer, type MetricsServerOptions } from './metrics-server';
export { createMetricsRegistry, Registry } from './registry';
export { authorizeScrape, isLoopback, type ScrapeFacts, type ScrapeVerdict } from './scrape-auth';
export { createSshMetrics } from './ssh-metrics';
