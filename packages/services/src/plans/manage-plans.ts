import { AppError, type CreatePlanBody, type PlanReply, type UpdatePlanBody } from '@paddock/contracts';
import { Prisma } from '@paddock/db';
import { operatorActor, type RequestFacts, writeAudit } from '../audit/audit-entry';
import { PLAN_TENANT_COUNT, toPlanReply } from './plan-replies';
import type { ServiceClients } from '../clients';

export interface OperatorActor {
  userId: string;
  email: string;
}

export async function listPlans(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  filter: { active?: boolean | undefined },
): Promise<PlanReply[]> {
  const plans = await prisma.plan.findMany({
    where: filter.active === undefined ? {} : { active: filter.active },
    orderBy: [{ sortOrder: 'asc' }, { code: 'asc' }],
    include: PLAN_TENANT_COUNT,
  });
  return plans.map(toPlanReply);
}

export async function getPlan({ prisma }: Pick<ServiceClients, 'prisma'>, id: string): Promise<PlanReply> {
  const plan = await prisma.plan.findUnique({ where: { id }, include: PLAN_TENANT_COUNT });
  if (!plan) throw new AppError('not_found', `There is no plan ${id}.`);
  return toPlanReply(plan);
}

/** Creates a plan (its code is its stable name at signup: a taken one is 409), audited as the operator. */
export async function createPlan(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  operator: OperatorActor,
  body: CreatePlanBody,
  request: RequestFacts = {},
): Promise<PlanReply> {
  try {
    return await prisma.$transaction(async (tx) => {
      const plan = await tx.plan.create({
        data: {
          ...body,
          description: body.description ?? null,
          serverType: body.serverType ?? null,
          region: body.region ?? null,
          includedUsageMicros: BigInt(body.includedUsageMicros),
          limits: body.limits as Prisma.InputJsonObject,
        },
        include: PLAN_TENANT_COUNT,
      });
      const reply = toPlanReply(plan);
      await writeAudit(
        { prisma: tx },
        {
          actor: operatorActor(operator),
          action: 'plan.create',
          target: { type: 'plan', id: plan.id },
          details: { code: reply.code },
          after: reply as unknown as Prisma.InputJsonObject,
          request,
        },
      );
      return reply;
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      throw new AppError('conflict', `A plan with code "${body.code}" exists already; codes never change or repeat.`);
    }
    throw error;
  }
}

/**
 * Changes a plan in place, under a row lock (two operators' edits never interleave), audited with the fields before
 * and after. Limits apply to the plan's tenants at their next action; each box gets its caps with its next run.
 */
export async function updatePlan(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  operator: OperatorActor,
  id: string,
  body: UpdatePlanBody,
  request: RequestFacts = {},
  action = 'plan.update',
): Promise<PlanReply> {
  return prisma.$transaction(async (tx) => {
    const locked = await tx.$queryRaw<
      Array<{ id: string }>
    >`SELECT id::text FROM plans WHERE id = ${id}::uuid FOR UPDATE`;
    if (locked.length === 0) throw new AppError('not_found', `There is no plan ${id}.`);
    const before = toPlanReply(await tx.plan.findUniqueOrThrow({ where: { id }, include: PLAN_TENANT_COUNT }));
    const { includedUsageMicros, limits, ...rest } = body;
    const plan = await tx.plan.update({
      where: { id },
      data: {
        ...rest,
        ...(includedUsageMicros === undefined ? {} : { includedUsageMicros: BigInt(includedUsageMicros) }),
        ...(limits === undefined ? {} : { limits: limits as Prisma.InputJsonObject }),
      },
      include: PLAN_TENANT_COUNT,
    });
    const after = toPlanReply(plan);
    const changed = Object.keys(body) as Array<keyof PlanReply>;
    const pick = (reply: PlanReply) =>
      Object.fromEntries(changed.map((key) => [key, reply[key] ?? null])) as Prisma.InputJsonObject;
    await writeAudit(
      { prisma: tx },
      {
        actor: operatorActor(operator),
        action,
        target: { type: 'plan', id },
        details: { code: after.code },
        before: pick(before),
        after: pick(after),
        request,
      },
    );
    return after;
  });
}

/** Hides a plan from signups; tenants on it keep it (and its limits). Deactivating twice changes nothing. */
export async function deactivatePlan(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  operator: OperatorActor,
  id: string,
  request: RequestFacts = {},
): Promise<PlanReply> {
  const current = await getPlan({ prisma }, id);
  if (!current.active) return current;
  return updatePlan({ prisma }, operator, id, { active: false }, request, 'plan.deactivate');
}
