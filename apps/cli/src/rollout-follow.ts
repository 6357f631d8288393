import { MultiBar, Presets } from 'cli-progress';
import type { ApiClient } from './api-client';
import type { RolloutDetail } from './api-types';
import type { CliIo } from './command-context';
import { CliError } from './errors';

const DONE = new Set(['succeeded', 'failed', 'skipped', 'reverted', 'caught_up', 'superseded']);

/**
 * Follows a rollout through its SSE stream until it ends, and answers its last state. On a terminal: a progress
 * bar for the whole rollout and one per batch (cli-progress), redrawn in place. Piped: one plain line per change
 * (the rollout's status, each box that moves on), so a log or a CI job reads what happened. With --json: each
 * state the server sent, one JSON document per line.
 */
export async function followRollout(
  client: ApiClient,
  path: string,
  io: CliIo,
  options: { json: boolean },
): Promise<RolloutDetail> {
  let last: RolloutDetail | undefined;
  const view = options.json ? new JsonLines(io) : io.terminal ? new Bars(io.terminal) : new PlainLines(io);
  try {
    await client.stream(`${path}/events`, (event, data) => {
      if (event === 'error') throw new CliError(`the rollout stream failed on the server (${JSON.stringify(data)})`);
      if (event !== 'rollout') return;
      last = data as RolloutDetail;
      view.show(last);
    });
  } finally {
    view.stop();
  }
  if (!last) throw new CliError('the rollout stream ended before it said anything');
  return last;
}

interface View {
  show(rollout: RolloutDetail): void;
  stop(): void;
}

class JsonLines implements View {
  constructor(private readonly io: CliIo) {}
  show(rollout: RolloutDetail): void {
    this.io.stdout.write(`${JSON.stringify(rollout)}\n`);
  }
  stop(): void {}
}

/** What changed since the last state, as lines: the rollout's status, then each box whose status moved. */
class PlainLines implements View {
  private status = '';
  private readonly boxes = new Map<string, string>();

  constructor(private readonly io: CliIo) {}

  show(rollout: RolloutDetail): void {
    if (rollout.status !== this.status) {
      this.status = rollout.status;
      const reason = rollout.reason ? ` (${rollout.reason})` : '';
      this.io.stdout.write(`rollout ${rollout.id} of ${rollout.release}: ${rollout.status}${reason}\n`);
    }
    for (const box of rollout.boxes) {
      if (this.boxes.get(box.boxId) === box.status) continue;
      this.boxes.set(box.boxId, box.status);
      if (box.status === 'pending') continue;
      const error = box.error ? `: ${box.error}` : '';
      this.io.stdout.write(`  batch ${box.batch} box ${box.boxName ?? box.boxId}: ${box.status}${error}\n`);
    }
  }

  stop(): void {}
}

/** One bar for the rollout, one per batch (0 = the canary), each counting its boxes that are done. */
class Bars implements View {
  private readonly bars: MultiBar;
  private total: ReturnType<MultiBar['create']> | undefined;
  private readonly batches = new Map<number, ReturnType<MultiBar['create']>>();

  constructor(stream: NodeJS.WriteStream) {
    this.bars = new MultiBar(
      { stream, format: ' {label} [{bar}] {value}/{total} {state}', hideCursor: true, clearOnComplete: false },
      Presets.shades_classic,
    );
  }

  show(rollout: RolloutDetail): void {
    const done = rollout.boxes.filter((b) => DONE.has(b.status)).length;
    this.total ??= this.bars.create(rollout.totalBoxes, 0, { label: 'rollout ', state: '' });
    this.total.update(done, { state: `${rollout.status}${rollout.reason ? ` (${rollout.reason})` : ''}` });
    const byBatch = new Map<number, RolloutDetail['boxes']>();
    for (const box of rollout.boxes) byBatch.set(box.batch, [...(byBatch.get(box.batch) ?? []), box]);
    for (const [batch, boxes] of [...byBatch].sort(([a], [b]) => a - b)) {
      let bar = this.batches.get(batch);
      if (!bar) {
        bar = this.bars.create(boxes.length, 0, {
          // Batch -1: boxes unreachable when the rollout started (they catch up when they return).
          label: batch < 0 ? 'offline ' : batch === 0 ? 'canary  ' : `batch ${String(batch).padEnd(2)}`,
          state: '',
        });
        this.batches.set(batch, bar);
      }
      const failed = boxes.filter((b) => b.status === 'failed').length;
      const deploying = boxes.filter((b) => b.status === 'deploying').length;
      bar.update(boxes.filter((b) => DONE.has(b.status)).length, {
        state: [deploying ? `${deploying} deploying` : '', failed ? `${failed} failed` : ''].filter(Boolean).join(', '),
      });
    }
  }

  stop(): void {
    this.bars.stop();
  }
}
