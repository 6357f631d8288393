import type { Command } from 'commander';
import type { Plan, PlanList } from '../api-types';
import { type CommandContext, type CommandGroup, withJson } from '../command-context';
import { renderRecord, renderTable, when } from '../output';
import { readJsonFile } from './read-json-file';

const PLAN_COLUMNS = [
  { header: 'CODE', value: (p: Plan) => p.code },
  { header: 'NAME', value: (p: Plan) => p.name },
  { header: 'PRICE', value: (p: Plan) => `${(p.priceMinor / 100).toFixed(2)} ${p.currency}` },
  { header: 'PROVIDER', value: (p: Plan) => [p.provider, p.serverType, p.region].filter(Boolean).join(' ') },
  { header: 'ACTIVE', value: (p: Plan) => (p.active ? 'yes' : 'no') },
  { header: 'TENANTS', value: (p: Plan) => p.tenants },
  { header: 'ID', value: (p: Plan) => p.id },
];

/** `paddock plans list|show|create|update|deactivate` over /v1/operator/plans (changes are audited). */
export const planCommands: CommandGroup = {
  register(program: Command, context: CommandContext) {
    const plans = program.command('plans').description('plans: fee, provider and server type, limits');

    withJson(plans.command('list').description('every plan').option('--active', 'only plans open to signups')).action(
      async (options: { active?: boolean; json?: boolean }) => {
        const client = await context.client();
        const reply = await client.get<PlanList>('/v1/operator/plans', { active: options.active ? 'true' : undefined });
        context.print(options, reply, (r) => renderTable(r.plans, PLAN_COLUMNS));
      },
    );

    withJson(plans.command('show').description('one plan with its limits').argument('<id>')).action(
      async (id: string, options: { json?: boolean }) => {
        const client = await context.client();
        const plan = await client.get<Plan>(`/v1/operator/plans/${encodeURIComponent(id)}`);
        context.print(options, plan, renderPlan);
      },
    );

    withJson(
      plans
        .command('create')
        .description('a new plan from a JSON file (code, name, priceMinor, provider, serverType, limits, ...)')
        .requiredOption('--from-file <path>', 'the plan as JSON'),
    ).action(async (options: { fromFile: string; json?: boolean }) => {
      const client = await context.client();
      const plan = await client.post<Plan>('/v1/operator/plans', await readJsonFile(options.fromFile));
      context.print(options, plan, (p) => `Created plan ${p.code} (${p.id}).\n`);
    });

    withJson(
      plans
        .command('update')
        .description('change a plan from a JSON file of the fields to change')
        .argument('<id>')
        .requiredOption('--from-file <path>', 'the changed fields as JSON'),
    ).action(async (id: string, options: { fromFile: string; json?: boolean }) => {
      const client = await context.client();
      const plan = await client.request<Plan>('PATCH', `/v1/operator/plans/${encodeURIComponent(id)}`, {
        body: await readJsonFile(options.fromFile),
      });
      context.print(options, plan, renderPlan);
    });

    withJson(
      plans.command('deactivate').description('close a plan to new signups (its tenants keep it)').argument('<id>'),
    ).action(async (id: string, options: { json?: boolean }) => {
      const client = await context.client();
      const plan = await client.post<Plan>(`/v1/operator/plans/${encodeURIComponent(id)}/deactivate`, {});
      context.print(options, plan, (p) => `Plan ${p.code} is closed to new signups.\n`);
    });
  },
};

function renderPlan(p: Plan): string {
  return renderRecord([
    ['id', p.id],
    ['code', p.code],
    ['name', p.name],
    ['price', `${p.priceMinor} minor units ${p.currency}`],
    ['provider', p.provider],
    ['server type', p.serverType],
    ['region', p.region],
    ['included usage', `${p.includedUsageMicros} micros`],
    ['usage markup', `${p.usageMarkupBps} bps`],
    ['box hour markup', `${p.boxHourMarkupBps} bps`],
    ['limits', p.limits],
    ['active', p.active],
    ['tenants', p.tenants],
    ['updated', when(p.updatedAt)],
  ]);
}
