import type { Figure } from '../harness';
import type { LifecycleEnv } from '../../test/lifecycle/support/lifecycle-env';
import { percentile } from './measure-latency';

/** A chain whose agent works `seconds` and then asks a person. */
const busyChain = (seconds: number) => `name: busy-${seconds}s
agents:
  draft:
    run: sleep ${seconds}; echo '::usage {"model":"m-bench","input_tokens":100,"output_tokens":10,"cost_usd":0.001}'; echo draft
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
  /** How long each run's agent works before its decision. */
  agentSeconds: number;
  /** Whether the 1 s targets apply to this load (figures are named after it either way). */
  withTargets: boolean;
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

/** Reads `GET /v1/decisions/stream` until it ends or `signal` aborts, handing each pending decision to `onPending`. */
async function followDecisions(
  apiUrl: string,
  key: string,
  signal: AbortSignal,
  onPending: (decision: { id: string; runId: string }) => void,
): Promise<void> {
  const response = await fetch(`${apiUrl}/v1/decisions/stream`, {
    headers: { authorization: `Bearer ${key}` },
    signal,
  });
  if (response.status !== 200 || !response.body) throw new Error(`decision stream answered ${response.status}`);
  let buffer = '';
  for await (const chunk of response.body.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (!block.includes('event: decision\n')) continue;
      const data = block.split('\n').find((line) => line.startsWith('data: '));
      if (data) onPending(JSON.parse(data.slice(6)) as { id: string; runId: string });
    }
  }
}

/**
 * Every tenant's box kept busy with `lanes` runs at a time of a chain whose agent works `agentSeconds` and then asks
 * a person.
 * Each tenant follows its decision stream (`GET /v1/decisions/stream`, as a dashboard would) and approves each
 * decision as soon as it arrives; a lane starts its next run when its decision is answered. Latency of a decision:
 * from the box's `decision_pending` event (its timestamp, written by the box on this same clock) to the stream
 * delivering it. Also timed: the API's answer to an approval, which comes only after the box wrote it (the
 * decision's way to the box, at most).
 */
export async function measureDecisionLatency(
  env: LifecycleEnv,
  options: DecisionLatencyOptions,
  log: (line: string) => void,
): Promise<Figure[]> {
  for (const tenant of options.tenants) {
    await call(options.apiUrl, tenant.apiKey, 'POST', '/v1/chains', { definition: busyChain(options.agentSeconds) });
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
          const run = await call<{ id: string }>(options.apiUrl, tenant.apiKey, 'POST', '/v1/runs', {
            chain: `busy-${options.agentSeconds}s`,
          });
          runs++;
          await new Promise<void>((resolve) => waiting.set(run.id, resolve));
        }
      } finally {
        lanesRunning--;
      }
    };
    // Follows the tenant's decision stream as long as a lane may still start a run or wait for a decision.
    const follow = async () => {
      const stop = new AbortController();
      const approve = (decision: { id: string; runId: string }) => {
        if (seenAt.has(decision.id)) return;
        seenAt.set(decision.id, Date.now());
        const sent = performance.now();
        call(options.apiUrl, tenant.apiKey, 'POST', `/v1/decisions/${decision.id}`, { choice: 'approve' })
          .then(() => decideMs.push(performance.now() - sent))
          .catch((error: Error) => failures.push(error.message))
          .finally(() => {
            waiting.get(decision.runId)?.();
            waiting.delete(decision.runId);
          });
      };
      const watchdog = setInterval(() => {
        if (lanesRunning === 0 && waiting.size === 0) stop.abort();
        else if (Date.now() > deadline + GRACE_MS) {
          // Runs whose decision never showed: counted as missing, and their lanes let go.
          missing += waiting.size;
          for (const release of waiting.values()) release();
          waiting.clear();
          stop.abort();
        }
      }, 200);
      try {
        while (!stop.signal.aborted) {
          try {
            await followDecisions(options.apiUrl, tenant.apiKey, stop.signal, approve);
          } catch (error) {
            if (!stop.signal.aborted) failures.push(`stream: ${(error as Error).message}`);
          }
        }
      } finally {
        clearInterval(watchdog);
      }
    };
    await Promise.all([follow(), ...Array.from({ length: options.lanes }, lane)]);
  };
  try {
    await Promise.all(options.tenants.map(tenantLoop));
  } finally {
    clearInterval(progress);
  }
  if (missing > 0) log(`${missing} runs never showed their decision within ${GRACE_MS / 1000} s of the end`);
  if (failures.length > 0) log(`${failures.length} approvals failed, first: ${failures[0]}`);

  const ids = [...seenAt.keys()];
  // received_at is the collector's transaction time: it splits the way into box → Postgres and Postgres → API.
  const written = await env.prisma.$queryRaw<{ id: string; occurred_at: Date; received_at: Date }[]>`
    SELECT d.id::text AS id, min(e.occurred_at) AS occurred_at, min(e.received_at) AS received_at
      FROM decisions d
      JOIN usage_events e ON e.run_id = d.run_id AND e.type = 'decision_pending' AND e.step_name = d.step_name
     WHERE d.id = ANY(${ids}::uuid[])
     GROUP BY d.id`;
  const sorted = (values: number[]) => values.filter(Number.isFinite).sort((a, b) => a - b);
  const latencies = sorted(written.map((row) => (seenAt.get(row.id) ?? Number.NaN) - row.occurred_at.getTime()));
  const toPostgres = sorted(written.map((row) => row.received_at.getTime() - row.occurred_at.getTime()));
  const toApi = sorted(written.map((row) => (seenAt.get(row.id) ?? Number.NaN) - row.received_at.getTime()));
  const decides = [...decideMs].sort((a, b) => a - b);
  log(
    `${runs} runs on ${options.tenants.length} boxes in ${options.durationMs / 1000} s; ${latencies.length} decisions ` +
      `seen (streamed): box → API p50 ${percentile(latencies, 50).toFixed(0)} ms, ` +
      `p99 ${percentile(latencies, 99).toFixed(0)} ms; approval → box p50 ${percentile(decides, 50).toFixed(0)} ms, ` +
      `p99 ${percentile(decides, 99).toFixed(0)} ms`,
  );
  log(
    `  of which box → Postgres (collector) p50 ${percentile(toPostgres, 50).toFixed(0)} ms, p99 ` +
      `${percentile(toPostgres, 99).toFixed(0)} ms; Postgres → API answer p50 ${percentile(toApi, 50).toFixed(0)} ms, ` +
      `p99 ${percentile(toApi, 99).toFixed(0)} ms`,
  );
  const load = `${options.tenants.length} boxes, ${options.agentSeconds} s agents`;
  const target = options.withTargets ? { target: { op: '<' as const, value: 1000 } } : {};
  return [
    { name: `decisions measured (${load})`, value: latencies.length, unit: 'decisions' },
    {
      name: `runs whose decision never showed (${load})`,
      value: missing,
      unit: 'runs',
      ...(options.withTargets ? { target: { op: '<=' as const, value: 0 } } : {}),
    },
    { name: `decision pending on box → API p50 (${load})`, value: percentile(latencies, 50), unit: 'ms' },
    { name: `decision pending on box → API p99 (${load})`, value: percentile(latencies, 99), unit: 'ms', ...target },
    {
      name: `decision pending on box → stored in Postgres p99 (${load})`,
      value: percentile(toPostgres, 99),
      unit: 'ms',
    },
    { name: `decision stored in Postgres → API p99 (${load})`, value: percentile(toApi, 99), unit: 'ms' },
    { name: `approval through API → recorded on box p50 (${load})`, value: percentile(decides, 50), unit: 'ms' },
    {
      name: `approval through API → recorded on box p99 (${load})`,
      value: percentile(decides, 99),
      unit: 'ms',
      ...target,
    },
  ];
}
