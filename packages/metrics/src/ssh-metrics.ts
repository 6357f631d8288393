import type { SshObserver } from '@paddock/fleet';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The fleet's SSH pool as series: open connections, failed dials by reason, command latency by kind and outcome. */
export function createSshMetrics(registry: Registry): SshObserver {
  const connections = new Gauge({
    name: 'paddock_ssh_connections',
    help: 'SSH connections to boxes open in this process',
    registers: [registry],
  });
  const opened = new Counter({
    name: 'paddock_ssh_connections_opened_total',
    help: 'SSH connections opened to boxes',
    registers: [registry],
  });
  const failures = new Counter({
    name: 'paddock_ssh_connect_failures_total',
    help: 'SSH dials that did not connect, by failure (connect_timeout, host_key_mismatch, auth_failed, ...)',
    labelNames: ['failure'] as const,
    registers: [registry],
  });
  const commands = new Histogram({
    name: 'paddock_ssh_command_duration_seconds',
    help: 'Remote commands: exec (to exit) and spawn (to channel open), by outcome (ok, failed, timeout, lost)',
    labelNames: ['kind', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  return {
    connectionOpened() {
      connections.inc();
      opened.inc();
    },
    connectionClosed() {
      connections.dec();
    },
    connectFailed(failure) {
      failures.inc({ failure });
    },
    commandFinished({ kind, outcome, durationMs }) {
      commands.observe({ kind, outcome }, durationMs / 1000);
    },
  };
}
