import type { PrismaClient } from '@paddock/db';
import type { Queues } from '@paddock/jobs';
import { queueAlertDeliveries } from '../webhooks/queue-deliveries';
import { chainLookbackMs, DEFAULT_DETECTOR_SETTINGS, type DetectorSettings } from './detector-settings';
import { loadBoxSignals } from './load-box-signals';
import { changedChains, loadChainHistory } from './load-chain-history';
import { changedModels, loadModelCalls } from './load-model-calls';
import { runDetectors } from './run-detectors';
import { storeFindings } from './store-findings';
import { advanceWatermark, readWatermark } from './watermark';

export const MONITORING_WATERMARK = 'monitoring';

/** Chains judged per batch: bounds the rows one query brings into memory. */
const CHAIN_BATCH = 500;

export interface RoundResult {
  since: string;
  through: string;
  chains: number;
  models: number;
  findings: number;
  opened: number;
  updated: number;
  resolved: number;
  deliveries: number;
  /** Time spent waiting on PostgreSQL (for the benchmark), the rest is the detectors and the process. */
  dbMs: number;
}

/**
 * One monitoring round, incremental: only chains and models with runs changed since the watermark (minus a small
 * overlap), and every scope with an open monitoring alert (so alerts resolve when their signal returns to normal),
 * are loaded and judged; box and queue signals are read from small indexed sets each round. The watermark moves to
 * the round's start (the database's clock) once everything is stored; a round that fails leaves it, so the next
 * one reads the same changes again.
 */
export async function evaluateMonitoringRound(
  deps: { prisma: PrismaClient; queues?: Queues | undefined },
  settings: DetectorSettings = DEFAULT_DETECTOR_SETTINGS,
): Promise<RoundResult> {
  let dbMs = 0;
  const timed = async <T>(work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      dbMs += performance.now() - started;
    }
  };
  const [{ now }] = (await timed(() => deps.prisma.$queryRaw<Array<{ now: Date }>>`SELECT now() AS now`)) as [
    { now: Date },
  ];
  const since = await timed(() => readWatermark({ prisma: deps.prisma }, MONITORING_WATERMARK, now));
  const nowMs = now.getTime();
  const chainFrom = new Date(nowMs - chainLookbackMs(settings));
  const modelFrom = new Date(nowMs - settings.model.windows.baselineMs - settings.model.windows.currentMs);

  const chains = await timed(() => changedChains({ prisma: deps.prisma }, since));
  const models = await timed(() => changedModels({ prisma: deps.prisma }, since));
  const box = await timed(() =>
    loadBoxSignals(
      { prisma: deps.prisma },
      {
        since,
        now,
        killLookbackMs: settings.box.killWindows.baselineMs + settings.box.killWindows.currentMs,
        stallMs: settings.box.stallMs,
        quietMs: settings.box.quietMs,
      },
    ),
  );
  const modelCalls = await timed(() => loadModelCalls({ prisma: deps.prisma }, models, modelFrom));

  const totals = { findings: 0, opened: 0, updated: 0, resolved: 0, deliveries: 0 };
  const store = async (findings: ReturnType<typeof runDetectors>) => {
    totals.findings += findings.length;
    const stored = await timed(() => storeFindings({ prisma: deps.prisma }, findings));
    totals.opened += stored.opened.length;
    totals.updated += stored.updated;
    totals.resolved += stored.resolved.length;
    if (deps.queues) {
      const queues = deps.queues;
      totals.deliveries += (
        await timed(() => queueAlertDeliveries({ prisma: deps.prisma, queues }, 'alert.opened', stored.opened))
      ).length;
      totals.deliveries += (
        await timed(() => queueAlertDeliveries({ prisma: deps.prisma, queues }, 'alert.resolved', stored.resolved))
      ).length;
    }
  };
  const empty = { kills: new Map(), stalled: new Map(), quiet: [], queued: new Map() };
  await store(runDetectors({ chains: [], models: modelCalls, box }, nowMs, settings));
  for (let i = 0; i < chains.length; i += CHAIN_BATCH) {
    const history = await timed(() =>
      loadChainHistory({ prisma: deps.prisma }, chains.slice(i, i + CHAIN_BATCH), chainFrom),
    );
    await store(runDetectors({ chains: history, models: [], box: empty }, nowMs, settings));
  }
  await timed(() => advanceWatermark({ prisma: deps.prisma }, MONITORING_WATERMARK, now));
  return {
    since: since.toISOString(),
    through: now.toISOString(),
    chains: chains.length,
    models: models.length,
    ...totals,
    dbMs: Math.round(dbMs),
  };
}
