import { priceProblems } from '@paddock/billing';
import {
  AppError,
  type CreateModelPriceBody,
  type ModelPriceReply,
  type UpdateModelPriceBody,
} from '@paddock/contracts';
import type { Prisma, PrismaClient } from '@paddock/db';
import type { RequestFacts } from '../tenants/tenant-identity';
import { operatorActor, writeAudit } from '../audit/audit-entry';
import { type PriceBookOperator, refuseProblems, uniqueViolation } from './price-book-support';
import { lockPriceBook } from './price-book-lock';
import { rerateUnpriced } from './rerate-unpriced';
import type { ServiceClients } from '../clients';

type ModelPriceRow = Prisma.ModelPriceGetPayload<object>;

/** A price change waits (under the exclusive lock) for batches that read the old prices to commit. */
const CHANGE = { timeout: 60_000, maxWait: 10_000 } as const;

/** Re-rating a large backlog of unpriced usage may take a while. */
const RERATING = { timeout: 300_000, maxWait: 10_000 } as const;

/**
 * Re-rates the model's unpriced usage after a price change committed (see price-book-lock.ts for why it is a
 * transaction of its own). Should it fail, the price stands and the usage stays unpriced and listed until the next
 * re-rating (`POST /v1/operator/billing/rerate`, or the invoice close's `prepareBillingPeriod`).
 */
function rerateModel(prisma: PrismaClient, model: string): Promise<number> {
  return prisma.$transaction((tx) => rerateUnpriced({ prisma: tx }, [model]), RERATING);
}

/**
 * Adds a version of a model's prices, in force from `effectiveFrom` (a used version is never changed: a new one
 * supersedes it from an instant). Audited. Unpriced usage the new version covers is priced in the same transaction
 * (periods with an issued invoice excepted). Two versions of one model from the same instant are a 409.
 */
export async function createModelPrice(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  operator: PriceBookOperator,
  input: CreateModelPriceBody,
  request: RequestFacts = {},
): Promise<{ price: ModelPriceReply; reRated: number }> {
  const cached = input.cachedInputMicrosPerMillion ?? input.inputMicrosPerMillion;
  const effectiveFrom = new Date(input.effectiveFrom);
  refuseProblems(
    priceProblems({
      currency: input.currency,
      amounts: {
        inputMicrosPerMillion: input.inputMicrosPerMillion,
        outputMicrosPerMillion: input.outputMicrosPerMillion,
        cachedInputMicrosPerMillion: cached,
      },
      effectiveFrom,
    }),
  );
  try {
    const row = await prisma.$transaction(async (tx) => {
      await lockPriceBook({ prisma: tx });
      const row = await tx.modelPrice.create({
        data: {
          model: input.model,
          currency: input.currency,
          inputMicrosPerMillion: input.inputMicrosPerMillion,
          outputMicrosPerMillion: input.outputMicrosPerMillion,
          cachedInputMicrosPerMillion: cached,
          effectiveFrom,
          note: input.note ?? null,
          createdBy: operator.email,
        },
      });
      await writeAudit(
        { prisma: tx },
        {
          actor: operatorActor(operator),
          action: 'billing.model_price.create',
          target: { type: 'billing.model_price', id: row.id },
          details: priceDetails(row),
          after: priceDetails(row),
          request,
        },
      );
      return row;
    }, CHANGE);
    const reRated = await rerateModel(prisma, row.model);
    return {
      price: (await describeModelPrices(prisma, [row])).find((p) => p.id === row.id) as ModelPriceReply,
      reRated,
    };
  } catch (error) {
    if (uniqueViolation(error)) {
      throw new AppError(
        'conflict',
        `Model ${input.model} already has a price version from ${effectiveFrom.toISOString()}: add one from another instant.`,
        {
          details: [{ path: 'body.effectiveFrom', message: 'a version of this model starts at this instant already' }],
        },
      );
    }
    throw error;
  }
}

/**
 * Fixes a version that has not rated anything yet (a typo caught before use). A version that rated usage is a 409
 * `price_in_use`: its charges must keep naming the price they were made at, so a new version supersedes it instead.
 * The row is locked and its use checked in one transaction, so a batch rating with it cannot slip in between.
 */
export async function updateModelPrice(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  operator: PriceBookOperator,
  id: string,
  patch: UpdateModelPriceBody,
  request: RequestFacts = {},
): Promise<{ price: ModelPriceReply; reRated: number }> {
  try {
    const row = await prisma.$transaction(async (tx) => {
      await lockPriceBook({ prisma: tx });
      const locked = await tx.$queryRaw<
        { id: string }[]
      >`SELECT id FROM model_prices WHERE id = ${id}::uuid FOR UPDATE`;
      if (locked.length === 0) throw new AppError('not_found', `There is no model price ${id}.`);
      const used = await tx.usageEvent.findFirst({ where: { modelPriceId: id }, select: { id: true } });
      if (used) {
        throw new AppError(
          'price_in_use',
          `Model price ${id} has rated usage and cannot be edited: add a new version from the instant it should apply.`,
        );
      }
      const before = (await tx.modelPrice.findUnique({ where: { id } })) as ModelPriceRow;
      const next = {
        currency: patch.currency ?? before.currency,
        inputMicrosPerMillion: patch.inputMicrosPerMillion ?? before.inputMicrosPerMillion,
        outputMicrosPerMillion: patch.outputMicrosPerMillion ?? before.outputMicrosPerMillion,
        cachedInputMicrosPerMillion: patch.cachedInputMicrosPerMillion ?? before.cachedInputMicrosPerMillion,
        effectiveFrom: patch.effectiveFrom ? new Date(patch.effectiveFrom) : before.effectiveFrom,
        note: patch.note ?? before.note,
      };
      refuseProblems(
        priceProblems({
          currency: next.currency,
          amounts: {
            inputMicrosPerMillion: next.inputMicrosPerMillion,
            outputMicrosPerMillion: next.outputMicrosPerMillion,
            cachedInputMicrosPerMillion: next.cachedInputMicrosPerMillion,
          },
          effectiveFrom: next.effectiveFrom,
        }),
      );
      const row = await tx.modelPrice.update({ where: { id }, data: next });
      await writeAudit(
        { prisma: tx },
        {
          actor: operatorActor(operator),
          action: 'billing.model_price.update',
          target: { type: 'billing.model_price', id },
          before: priceDetails(before),
          after: priceDetails(row),
          request,
        },
      );
      return row;
    }, CHANGE);
    const reRated = await rerateModel(prisma, row.model);
    return {
      price: (await describeModelPrices(prisma, [row])).find((p) => p.id === row.id) as ModelPriceReply,
      reRated,
    };
  } catch (error) {
    if (uniqueViolation(error)) {
      throw new AppError('conflict', 'Another version of this model starts at that instant.', {
        details: [{ path: 'body.effectiveFrom', message: 'a version of this model starts at this instant already' }],
      });
    }
    throw error;
  }
}

/** Every version (of one model, or all), by model and then oldest first, with the one in force marked. */
export async function listModelPrices(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  query: { model?: string | undefined },
): Promise<ModelPriceReply[]> {
  const rows = await prisma.modelPrice.findMany({
    where: query.model ? { model: query.model } : {},
    orderBy: [{ model: 'asc' }, { effectiveFrom: 'asc' }],
  });
  return describeModelPrices(prisma, rows);
}

/** Versions as the API shows them: when each is superseded (by its model's next version), in force now, used. */
async function describeModelPrices(prisma: PrismaClient, rows: ModelPriceRow[]): Promise<ModelPriceReply[]> {
  if (rows.length === 0) return [];
  const models = [...new Set(rows.map((r) => r.model))];
  const all = await prisma.modelPrice.findMany({
    where: { model: { in: models } },
    select: { model: true, effectiveFrom: true },
    orderBy: { effectiveFrom: 'asc' },
  });
  const used = await prisma.$queryRaw<{ id: string }[]>`
    SELECT p.id::text AS id FROM unnest(${rows.map((r) => r.id)}::uuid[]) AS p(id)
     WHERE EXISTS (SELECT 1 FROM usage_events e WHERE e.model_price_id = p.id)`;
  const usedIds = new Set(used.map((u) => u.id));
  const now = Date.now();
  return rows.map((row) => {
    const next = all.find((v) => v.model === row.model && v.effectiveFrom.getTime() > row.effectiveFrom.getTime());
    const supersededAt = next?.effectiveFrom ?? null;
    return {
      id: row.id,
      model: row.model,
      currency: row.currency,
      inputMicrosPerMillion: row.inputMicrosPerMillion.toString(),
      outputMicrosPerMillion: row.outputMicrosPerMillion.toString(),
      cachedInputMicrosPerMillion: row.cachedInputMicrosPerMillion.toString(),
      effectiveFrom: row.effectiveFrom.toISOString(),
      supersededAt: supersededAt?.toISOString() ?? null,
      current: row.effectiveFrom.getTime() <= now && (supersededAt === null || supersededAt.getTime() > now),
      used: usedIds.has(row.id),
      note: row.note,
      createdBy: row.createdBy,
      createdAt: row.createdAt.toISOString(),
    };
  });
}

function priceDetails(row: ModelPriceRow): Prisma.InputJsonObject {
  return {
    model: row.model,
    currency: row.currency,
    inputMicrosPerMillion: row.inputMicrosPerMillion.toString(),
    outputMicrosPerMillion: row.outputMicrosPerMillion.toString(),
    cachedInputMicrosPerMillion: row.cachedInputMicrosPerMillion.toString(),
    effectiveFrom: row.effectiveFrom.toISOString(),
  };
}
