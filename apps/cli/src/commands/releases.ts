import type { Command } from 'commander';
import type { ReleaseList, ReleasePublished } from '../api-types';
import type { CommandContext, CommandGroup } from '../command-context';
import { withJson } from '../command-context';
import { renderRecord, renderTable, when } from '../output';

/** `paddock releases list|publish` over /v1/operator/releases. */
export const releaseCommands: CommandGroup = {
  register(program: Command, context: CommandContext) {
    const releases = program.command('releases').description('runtime releases: what boxes run');

    withJson(
      releases.command('list').description('published releases, newest first; * marks what new boxes get'),
    ).action(async (options: { json?: boolean }) => {
      const reply = await (await context.client()).get<ReleaseList>('/v1/operator/releases');
      context.print(options, reply, (r) =>
        renderTable(r.releases, [
          { header: '', value: (x) => (x.current ? '*' : '') },
          { header: 'VERSION', value: (x) => x.version },
          { header: 'NODE', value: (x) => x.nodeVersion ?? 'system' },
          { header: 'FILES', value: (x) => x.fileCount },
          { header: 'MB', value: (x) => (x.sizeBytes / 1e6).toFixed(1) },
          { header: 'PROMOTED', value: (x) => when(x.promotedAt) },
          { header: 'CREATED', value: (x) => when(x.createdAt) },
          { header: 'NOTES', value: (x) => x.notes },
        ]),
      );
    });

    withJson(
      releases
        .command('publish')
        .description('build a release from the runtime source (a worker job); roll it out to promote it')
        .option('--node <kind>', 'bundled (carry a Node LTS) or system (the box has Node >= 20)')
        .option('--notes <text>', 'what is in it'),
    ).action(async (options: { node?: string; notes?: string; json?: boolean }) => {
      const reply = await (await context.client()).post<ReleasePublished>('/v1/operator/releases', {
        ...(options.node ? { node: options.node } : {}),
        ...(options.notes ? { notes: options.notes } : {}),
      });
      context.print(options, reply, (r) =>
        renderRecord([
          ['job record', r.jobRecordId],
          ['follow with', `paddock jobs show ${r.jobRecordId}`],
        ]),
      );
    });
  },
};
