import type { Figure } from '../harness';
import type { LifecycleEnv } from '../../test/lifecycle/support/lifecycle-env';
import { percentile } from './measure-latency';

const BUSY_CHAIN = `name: busy
agents:
  draft:
    run: sleep 1; echo '::usage {"model":"m-bench","input_tokens":100,"output_tokens":10,"cost_usd":0.001}'; echo draft
  review:
    needs: [draft]
    decision: { prompt: Ship it?, show: draft }
  publish:
    needs: [review]
    run: echo published
`;

const GRACE_MS = 30_000;

export interface DecisionLatencyOptions {
  /** Tenants (each with its own box) kept busy at once. */
  tenants: { tenantId: string; apiKey: string }[];
  apiUrl: string;
  durationMs: number;
  /** Runs each tenant keeps going at once. */
  lanes: number;
  pollMs: number;
}

async function call<T = unknown>(
  apiUrl: string,
  key: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : null) as T;
}

/**
 * Every tenant's box kept busy with `lanes` runs at a time of a chain that works for a second and then asks a person.
 * A poller per tenant lists pending decisions through the API every `pollMs` and approves each as soon as it is
 * seen; a lane starts its next run when its decision is answered. Latency of a decision: from the box's
 * `decision_pending` event (its timestamp, written by the box on this same clock) to the first API answer listing
 * it, so the poll interval is part of the figure (about half of it on average). Also timed: the API's answer to an
 * approval, which comes only after the box wrote it (the decision's way to the box, at most).
 */
export async function measureDecisionLatency(
  env: LifecycleEnv,
  options: DecisionLatencyOptions,
  log: (line: string) => void,
): Promise<Figure[]> {
  for (const tenant of options.tenants) {
    await call(options.apiUrl, tenant.apiKey, 'POST', '/v1/chains', { definition: BUSY_CHAIN });
  }
  const seenAt = new Map<string, number>();
  const decideMs: number[] = [];
  const deadline = Date.now() + options.durationMs;
  let runs = 0;
  let missing = 0;
  const failures: string[] = [];
  const progress = setInterval(() => log(`${runs} runs started, ${seenAt.size} decisions seen`), 10_000);

  const tenantLoop = async (tenant: { tenantId: string; apiKey: string }) => {
    const waiting = new Map<string, () => void>(); // run id → the lane waiting for its decision
    let lanesRunning = options.lanes;
    const lane = async () => {
      try {
        while (Date.now() < deadline) {
          const run = await call<{ id: string }>(options.apiUrl, tenant.apiKey, 'POST', '/v1/runs', { chain: 'busy' });
          runs++;
          await new Promise<void>((resolve) => waiting.set(run.id, resolve));
        }
      } finally {
        lanesRunning--;
      }
    };
    // Polls as long as a lane may still start a run or wait for a decision.
    const poll = async () => {
      // Pollers start spread over one interval, so 32 of them do not hit the API in step.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * options.pollMs));
      while (lanesRunning > 0 || waiting.size > 0) {
        const list = await call<{ decisions: { id: string; runId: string }[] }>(
          options.apiUrl,
          tenant.apiKey,
          'GET',
          '/v1/decisions?outputBytes=0&limit=100',
        );
        const now = Date.now();
        for (const decision of list.decisions) {
          if (seenAt.has(decision.id)) continue;
          seenAt.set(decision.id, now);
          const sent = performance.now();
          call(options.apiUrl, tenant.apiKey, 'POST', `/v1/decisions/${decision.id}`, { choice: 'approve' })
            .then(() => decideMs.push(performance.now() - sent))
            .catch((error: Error) => failures.push(error.message))
            .finally(() => {
              waiting.get(decision.runId)?.();
              waiting.delete(decision.runId);
            });
        }
        if (Date.now() > deadline + GRACE_MS) {
          // Runs whose decision never showed: counted as missing, and their lanes let go.
          missing += waiting.size;
          for (const release of waiting.values()) release();
          waiting.clear();
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, options.pollMs));
      }
    };
    await Promise.all([poll(), ...Array.from({ length: options.lanes }, lane)]);
  };
  try {
    await Promise.all(options.tenants.map(tenantLoop));
  } finally {
    clearInterval(progress);
  }
  if (missing > 0) log(`${missing} runs never showed their decision within ${GRACE_MS / 1000} s of the end`);
  if (failures.length > 0) log(`${failures.length} approvals failed, first: ${failures[0]}`);

  const ids = [...seenAt.keys()];
  const written = await env.prisma.$queryRaw<{ id: string; occurred_at: Date }[]>`
    SELECT d.id::text AS id, min(e.occurred_at) AS occurred_at
      FROM decisions d
      JOIN usage_events e ON e.run_id = d.run_id AND e.type = 'decision_pending' AND e.step_name = d.step_name
     WHERE d.id = ANY(${ids}::uuid[])
     GROUP BY d.id`;
  const latencies = written
    .map((row) => (seenAt.get(row.id) ?? Number.NaN) - row.occurred_at.getTime())
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const decides = [...decideMs].sort((a, b) => a - b);
  log(
    `${runs} runs on ${options.tenants.length} boxes in ${options.durationMs / 1000} s; ${latencies.length} decisions ` +
      `seen (poll every ${options.pollMs} ms): box → API p50 ${percentile(latencies, 50).toFixed(0)} ms, ` +
      `p99 ${percentile(latencies, 99).toFixed(0)} ms; approval → box p50 ${percentile(decides, 50).toFixed(0)} ms, ` +
      `p99 ${percentile(decides, 99).toFixed(0)} ms`,
  );
  const boxes = options.tenants.length;
  return [
    { name: `decisions measured (${boxes} busy boxes)`, value: latencies.length, unit: 'decisions' },
    { name: 'runs whose decision never showed', value: missing, unit: 'runs', target: { op: '<=', value: 0 } },
    { name: 'decision pending on box → API p50', value: percentile(latencies, 50), unit: 'ms' },
    {
      name: 'decision pending on box → API p99',
      value: percentile(latencies, 99),
      unit: 'ms',
      target: { op: '<', value: 1000 },
    },
    { name: 'approval through API → recorded on box p50', value: percentile(decides, 50), unit: 'ms' },
    {
      name: 'approval through API → recorded on box p99',
      value: percentile(decides, 99),
      unit: 'ms',
      target: { op: '<', value: 1000 },
    },
  ];
}
