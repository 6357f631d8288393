import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '@paddock/db';

export interface StepSeed {
  name: string;
  attempt?: number;
  status?: 'succeeded' | 'failed';
  error?: string | null;
  model?: string | null;
  durationMs?: number | null;
}

export interface RunSeed {
  at: Date;
  tokens: number;
  costMicros?: number;
  status?: 'succeeded' | 'failed';
  steps?: StepSeed[];
}

/** A chain with one version, as an upload would leave it (no box sync: the monitoring reads only rows). */
export async function seedChain(prisma: PrismaClient, tenantId: string, name: string) {
  const chain = await prisma.chain.create({ data: { tenantId, name } });
  const version = await seedVersion(prisma, tenantId, chain.id, 1);
  return { chainId: chain.id, versionId: version };
}

export async function seedVersion(prisma: PrismaClient, tenantId: string, chainId: string, version: number) {
  const row = await prisma.chainVersion.create({
    data: {
      tenantId,
      chainId,
      version,
      contentHash: randomUUID().replaceAll('-', '').padEnd(64, '0'),
      definition: {},
      prompts: {},
      status: 'active',
    },
  });
  return row.id;
}

/** Finished runs with their step attempts, as the collector's projection writes them. Returns the run ids. */
export async function seedRuns(
  prisma: PrismaClient,
  owner: { tenantId: string; boxId: string; chainId: string; versionId: string },
  runs: RunSeed[],
): Promise<string[]> {
  const rows = runs.map((run) => ({
    id: randomUUID(),
    tenantId: owner.tenantId,
    boxId: owner.boxId,
    chainId: owner.chainId,
    chainVersionId: owner.versionId,
    status: run.status ?? 'succeeded',
    tokensIn: Math.round(run.tokens * 0.8),
    tokensOut: run.tokens - Math.round(run.tokens * 0.8),
    costMicros: BigInt(run.costMicros ?? Math.round(run.tokens / 5)),
    durationMs: 1_000,
    createdAt: new Date(run.at.getTime() - 1_000),
    startedAt: new Date(run.at.getTime() - 1_000),
    finishedAt: run.at,
  }));
  await prisma.run.createMany({ data: rows });
  const steps = runs.flatMap((run, i) =>
    (run.steps ?? []).map((step, position) => ({
      tenantId: owner.tenantId,
      runId: (rows[i] as { id: string }).id,
      name: step.name,
      position,
      attempt: step.attempt ?? 1,
      status: step.status ?? 'succeeded',
      error: step.error ?? null,
      model: step.model ?? null,
      durationMs: step.durationMs ?? null,
      startedAt: new Date(run.at.getTime() - (step.durationMs ?? 1_000)),
      finishedAt: run.at,
    })),
  );
  if (steps.length > 0) await prisma.runStep.createMany({ data: steps });
  return rows.map((row) => row.id);
}

/** `perDay` run times a day over `days` days before `until`, evenly spread. */
export function times(until: Date, days: number, perDay: number): Date[] {
  const step = 86_400_000 / perDay;
  return Array.from({ length: days * perDay }, (_, i) => new Date(until.getTime() - (days * perDay - i) * step));
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | null | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
