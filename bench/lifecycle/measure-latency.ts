import { Agent, request } from 'node:http';

export interface LatencySummary {
  requests: number;
  p50: number;
  p99: number;
  max: number;
  perSecond: number;
}

export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return Number.NaN;
  const index = Math.min(sortedMs.length - 1, Math.ceil((p / 100) * sortedMs.length) - 1);
  return sortedMs[Math.max(0, index)] ?? Number.NaN;
}

export function summarize(samplesMs: number[], wallMs: number): LatencySummary {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return {
    requests: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    perSecond: sorted.length / (wallMs / 1000),
  };
}

/** One GET over a kept-alive connection; anything but 200 is an error (a benchmark of failures measures nothing). */
function get(agent: Agent, base: URL, path: string, token: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        path,
        method: 'GET',
        headers: { authorization: `Bearer ${token}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode === 200) resolve();
          else reject(new Error(`GET ${path}: ${res.statusCode} ${Buffer.concat(chunks).toString().slice(0, 300)}`));
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * `total` GETs, `concurrency` at a time, each path and token from `next(i)`; returns the client-side latency of each
 * (request written to response fully read).
 */
export async function measureGets(
  baseUrl: string,
  total: number,
  concurrency: number,
  next: (i: number) => { path: string; token: string },
): Promise<LatencySummary> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const base = new URL(baseUrl);
  const samples: number[] = [];
  let issued = 0;
  const started = performance.now();
  const lane = async () => {
    for (let i = issued++; i < total; i = issued++) {
      const { path, token } = next(i);
      const t0 = performance.now();
      await get(agent, base, path, token);
      samples.push(performance.now() - t0);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, lane));
  } finally {
    agent.destroy();
  }
  return summarize(samples, performance.now() - started);
}
