import { assertKnownFlags, flag, intFlag } from '../cli-args';
import { readRunEvents } from '../event-store';
import { eventsSince } from '../journal';
import { type Command, printJson } from './context';

/**
 * `chainctl events [--run RUN] [--since CURSOR] [--limit N] [--json]`: newline-delimited JSON, one event per line with
 * the box-wide `cursor` to pass as --since next time. With --run and no --since it reads the run's .events/ directly.
 */
export const eventsCommand: Command = async (ctx) => {
  assertKnownFlags(ctx.args, ['run', 'since', 'limit']);
  const runId = flag(ctx.args, 'run');
  const since = flag(ctx.args, 'since');
  const limit = intFlag(ctx.args, 'limit', Number.MAX_SAFE_INTEGER, 1);
  const print = (event: object, cursor: string | null) => {
    if (ctx.json) printJson(ctx, { ...event, cursor });
    else {
      const e = event as {
        seq: number;
        step: string;
        kind: string;
        status: string;
        run_id: string;
        error: string | null;
      };
      ctx.out(
        `${e.run_id} ${String(e.seq).padStart(6, '0')} ${e.step} ${e.kind} ${e.status}${e.error ? ` ${e.error}` : ''}\n`,
      );
    }
  };
  if (runId !== undefined && since === undefined) {
    const { events, malformed } = readRunEvents(ctx.config.root, runId);
    for (const event of events.slice(0, limit)) print(event, null);
    for (const bad of malformed) ctx.err(`warning: skipped malformed event ${runId}/${bad.file}: ${bad.error}\n`);
    return 0;
  }
  const result = eventsSince(ctx.config.root, since, {
    ...(runId === undefined ? {} : { runId }),
    limit,
    onMalformed: (run, file, error) => ctx.err(`warning: skipped malformed event ${run}/${file}: ${error}\n`),
  });
  for (const { event, cursor } of result.events) print(event, cursor);
  if (!ctx.json) ctx.err(`cursor: ${result.cursor}\n`);
  return 0;
};
