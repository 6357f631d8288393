import { type Command, InvalidArgumentError } from 'commander';
import type { RolloutActed, RolloutDetail, RolloutList, RolloutStarted } from '../api-types';
import type { CommandContext, CommandGroup } from '../command-context';
import { positiveInt, withJson } from '../command-context';
import { CliError } from '../errors';
import { renderRecord, renderTable, when } from '../output';
import { followRollout } from '../rollout-follow';

/** `paddock rollout start|list|status|pause|resume|abort` over /v1/operator/rollouts. */
export const rolloutCommands: CommandGroup = {
  register(program: Command, context: CommandContext) {
    const rollout = program.command('rollout').description('roll a release out to the fleet, canary first');

    withJson(
      rollout
        .command('start')
        .description('start a rollout of a release to every ready box not on it (or --box ...)')
        .argument('<release>', 'the release version')
        .option('--canary <n>', 'boxes deployed first, on their own (default 1)', wholeNumber)
        .option('--batch <n>', 'boxes per batch after the canary (default 8)', positiveInt)
        .option('--concurrency <n>', 'boxes deployed at once inside a batch (default 8)', positiveInt)
        .option('--max-failures <n>', 'failures after the canary that stop and roll back (default 1)', positiveInt)
        .option('--box <id...>', 'only these boxes'),
    ).action(
      async (
        release: string,
        options: {
          canary?: number;
          batch?: number;
          concurrency?: number;
          maxFailures?: number;
          box?: string[];
          json?: boolean;
        },
      ) => {
        const reply = await (await context.client()).post<RolloutStarted>('/v1/operator/rollouts', {
          release,
          ...(options.canary === undefined ? {} : { canarySize: options.canary }),
          ...(options.batch === undefined ? {} : { batchSize: options.batch }),
          ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
          ...(options.maxFailures === undefined ? {} : { maxFailures: options.maxFailures }),
          ...(options.box ? { boxIds: options.box } : {}),
        });
        context.print(options, reply, (r) =>
          renderRecord([
            ['rollout', r.id],
            ['status', r.status],
            ['boxes', r.totalBoxes],
            ['watch with', `paddock rollout status ${r.id} --follow`],
          ]),
        );
      },
    );

    withJson(rollout.command('list').description('rollouts, newest first')).action(
      async (options: { json?: boolean }) => {
        const reply = await (await context.client()).get<RolloutList>('/v1/operator/rollouts');
        context.print(options, reply, (r) =>
          renderTable(r.rollouts, [
            { header: 'ID', value: (x) => x.id },
            { header: 'RELEASE', value: (x) => x.release },
            { header: 'STATUS', value: (x) => x.status },
            { header: 'BOXES', value: (x) => `${x.succeededBoxes}/${x.totalBoxes} ok, ${x.failedBoxes} failed` },
            { header: 'BATCH', value: (x) => `${x.currentBatch}/${Math.max(0, x.batches - 1)}` },
            { header: 'CREATED', value: (x) => when(x.createdAt) },
            { header: 'REASON', value: (x) => x.reason },
          ]),
        );
      },
    );

    withJson(
      rollout
        .command('status')
        .description('one rollout box by box; --follow watches it until it ends (exit 1 unless it succeeded)')
        .argument('<id>')
        .option('--follow', 'follow it live: progress bars on a terminal, one line per change when piped'),
    ).action(async (id: string, options: { follow?: boolean; json?: boolean }) => {
      const client = await context.client();
      const path = `/v1/operator/rollouts/${encodeURIComponent(id)}`;
      const last = options.follow
        ? await followRollout(client, path, context.io, { json: options.json === true })
        : await client.get<RolloutDetail>(path);
      if (!options.follow) context.print(options, last, renderRollout);
      else if (!options.json && !context.io.terminal) context.io.stdout.write(renderRollout(last));
      if (options.follow && last.status !== 'succeeded') {
        throw new CliError(`rollout ${last.id} ended ${last.status}${last.reason ? `: ${last.reason}` : ''}`);
      }
    });

    for (const action of ['pause', 'resume', 'abort'] as const) {
      const describe = {
        pause: 'pause between boxes (deploys in flight finish)',
        resume: 'go on with a paused rollout',
        abort: 'stop and roll back every box it moved',
      }[action];
      withJson(rollout.command(action).description(describe).argument('<id>')).action(
        async (id: string, options: { json?: boolean }) => {
          const reply = await (await context.client()).post<RolloutActed>(
            `/v1/operator/rollouts/${encodeURIComponent(id)}/${action}`,
            {},
          );
          context.print(options, reply, (r) => `rollout ${r.id}: ${r.status}\n`);
        },
      );
    }
  },
};

function renderRollout(r: RolloutDetail): string {
  return [
    renderRecord([
      ['rollout', r.id],
      ['release', r.release],
      ['status', r.status],
      ['reason', r.reason],
      [
        'boxes',
        `${r.succeededBoxes} succeeded, ${r.failedBoxes} failed, ${r.rolledBackBoxes} rolled back of ${r.totalBoxes}`,
      ],
      ['batch', `${r.currentBatch} of ${Math.max(0, r.batches - 1)} (0 = canary)`],
      ['started', when(r.startedAt)],
      ['finished', when(r.finishedAt)],
    ]),
    renderTable(r.boxes, [
      { header: '#', value: (b) => b.position },
      { header: 'BATCH', value: (b) => b.batch },
      { header: 'BOX', value: (b) => b.boxName ?? b.boxId },
      { header: 'STATUS', value: (b) => b.status },
      { header: 'ERROR', value: (b) => b.error },
    ]),
  ].join('');
}

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number >= 0');
  return Number(value);
}
