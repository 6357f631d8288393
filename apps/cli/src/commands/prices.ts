import type { Command } from 'commander';
import type { ModelPriceCreated, ModelPriceList, ServerTypePrice, ServerTypePriceList } from '../api-types';
import { type CommandContext, type CommandGroup, withJson } from '../command-context';
import { renderTable, when } from '../output';
import { readJsonFile } from './read-json-file';

type ModelPrice = ModelPriceList['prices'][number];

const MODEL_COLUMNS = [
  { header: 'MODEL', value: (p: ModelPrice) => p.model },
  { header: 'IN /1M', value: (p: ModelPrice) => `${p.inputMicrosPerMillion} µ${p.currency}` },
  { header: 'OUT /1M', value: (p: ModelPrice) => `${p.outputMicrosPerMillion} µ${p.currency}` },
  { header: 'CACHED /1M', value: (p: ModelPrice) => p.cachedInputMicrosPerMillion },
  { header: 'FROM', value: (p: ModelPrice) => when(p.effectiveFrom) },
  { header: 'CURRENT', value: (p: ModelPrice) => (p.current ? '*' : '') },
  { header: 'USED', value: (p: ModelPrice) => (p.used ? 'yes' : 'no') },
  { header: 'ID', value: (p: ModelPrice) => p.id },
];

const SERVER_COLUMNS = [
  { header: 'PROVIDER', value: (p: ServerTypePrice) => p.provider },
  { header: 'SERVER TYPE', value: (p: ServerTypePrice) => p.serverType },
  { header: 'PER HOUR', value: (p: ServerTypePrice) => `${p.microsPerHour} µ${p.currency}` },
  { header: 'FROM', value: (p: ServerTypePrice) => when(p.effectiveFrom) },
  { header: 'CURRENT', value: (p: ServerTypePrice) => (p.current ? '*' : '') },
  { header: 'ID', value: (p: ServerTypePrice) => p.id },
];

/** `paddock prices models|servers [add]`: the price book (versions; a used version is never edited). */
export const priceCommands: CommandGroup = {
  register(program: Command, context: CommandContext) {
    const prices = program.command('prices').description('the price book: model and server-type price versions');

    withJson(
      prices.command('models').description('model price versions, by model, oldest first').option('--model <name>'),
    ).action(async (options: { model?: string; json?: boolean }) => {
      const client = await context.client();
      const reply = await client.get<ModelPriceList>('/v1/operator/billing/model-prices', { model: options.model });
      context.print(options, reply, (r) => renderTable(r.prices, MODEL_COLUMNS));
    });

    withJson(
      prices
        .command('add-model')
        .description(
          'a new model price version from a JSON file (model, currency, input/outputMicrosPerMillion, effectiveFrom)',
        )
        .requiredOption('--from-file <path>', 'the price as JSON'),
    ).action(async (options: { fromFile: string; json?: boolean }) => {
      const client = await context.client();
      const reply = await client.post<ModelPriceCreated>(
        '/v1/operator/billing/model-prices',
        await readJsonFile(options.fromFile),
      );
      context.print(
        options,
        reply,
        (r) =>
          `Price ${r.price.id} for ${r.price.model} from ${when(r.price.effectiveFrom)}; ${r.reRated} unpriced event(s) now priced.\n`,
      );
    });

    withJson(prices.command('servers').description('server-type price versions (box hours)')).action(
      async (options: { json?: boolean }) => {
        const client = await context.client();
        const reply = await client.get<ServerTypePriceList>('/v1/operator/billing/server-type-prices');
        context.print(options, reply, (r) => renderTable(r.prices, SERVER_COLUMNS));
      },
    );

    withJson(
      prices
        .command('add-server')
        .description(
          'a new server-type price version from a JSON file (provider, serverType, currency, microsPerHour, effectiveFrom)',
        )
        .requiredOption('--from-file <path>', 'the price as JSON'),
    ).action(async (options: { fromFile: string; json?: boolean }) => {
      const client = await context.client();
      const price = await client.post<ServerTypePrice>(
        '/v1/operator/billing/server-type-prices',
        await readJsonFile(options.fromFile),
      );
      context.print(
        options,
        price,
        (p) => `Price ${p.id} for ${p.provider} ${p.serverType} from ${when(p.effectiveFrom)}.\n`,
      );
    });
  },
};
