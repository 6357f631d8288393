import { priceProblems } from '@paddock/billing';
import { AppError, type CreateServerTypePriceBody } from '@paddock/contracts';
import type { Prisma, PrismaClient } from '@paddock/db';
import type { RequestFacts } from '../tenants/tenant-identity';
import { operatorActor, writeAudit } from '../audit/audit-entry';
import { type PriceBookOperator, refuseProblems, uniqueViolation } from './price-book-support';
import type { ServiceClients } from '../clients';

type ServerTypePriceRow = Prisma.ServerTypePriceGetPayload<object>;

/**
 * Adds a version of what an hour of a provider's server type costs, in force from `effectiveFrom`. Server-type
 * prices are never edited (metered box time names its version in its source key): a new version supersedes one.
 */
export async function createServerTypePrice(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  operator: PriceBookOperator,
  input: CreateServerTypePriceBody,
  request: RequestFacts = {},
) {
  const effectiveFrom = new Date(input.effectiveFrom);
  refuseProblems(
    priceProblems({ currency: input.currency, amounts: { microsPerHour: input.microsPerHour }, effectiveFrom }),
  );
  try {
    const row = await prisma.$transaction(async (tx) => {
      const row = await tx.serverTypePrice.create({
        data: {
          provider: input.provider,
          serverType: input.serverType,
          currency: input.currency,
          microsPerHour: input.microsPerHour,
          effectiveFrom,
          note: input.note ?? null,
          createdBy: operator.email,
        },
      });
      const created = {
        provider: row.provider,
        serverType: row.serverType,
        currency: row.currency,
        microsPerHour: row.microsPerHour.toString(),
        effectiveFrom: row.effectiveFrom.toISOString(),
      };
      await writeAudit(
        { prisma: tx },
        {
          actor: operatorActor(operator),
          action: 'billing.server_type_price.create',
          target: { type: 'billing.server_type_price', id: row.id },
          details: created,
          after: created,
          request,
        },
      );
      return row;
    });
    const [described] = await describe(prisma, [row]);
    if (!described) throw new Error('a created server type price could not be read back');
    return described;
  } catch (error) {
    if (uniqueViolation(error)) {
      throw new AppError(
        'conflict',
        `${input.provider}/${input.serverType} already has a price version from that instant.`,
        {
          details: [
            { path: 'body.effectiveFrom', message: 'a version of this server type starts at this instant already' },
          ],
        },
      );
    }
    throw error;
  }
}

/** Every version, by provider and server type, oldest first, the one in force marked. */
export async function listServerTypePrices({ prisma }: Pick<ServiceClients, 'prisma'>) {
  const rows = await prisma.serverTypePrice.findMany({
    orderBy: [{ provider: 'asc' }, { serverType: 'asc' }, { effectiveFrom: 'asc' }],
  });
  return describe(prisma, rows);
}

async function describe(prisma: PrismaClient, rows: ServerTypePriceRow[]) {
  const all = await prisma.serverTypePrice.findMany({
    select: { provider: true, serverType: true, effectiveFrom: true },
    orderBy: { effectiveFrom: 'asc' },
  });
  const now = Date.now();
  return rows.map((row) => {
    const next = all.find(
      (v) =>
        v.provider === row.provider &&
        v.serverType === row.serverType &&
        v.effectiveFrom.getTime() > row.effectiveFrom.getTime(),
    );
    const supersededAt = next?.effectiveFrom ?? null;
    return {
      id: row.id,
      provider: row.provider,
      serverType: row.serverType,
      currency: row.currency,
      microsPerHour: row.microsPerHour.toString(),
      effectiveFrom: row.effectiveFrom.toISOString(),
      supersededAt: supersededAt?.toISOString() ?? null,
      current: row.effectiveFrom.getTime() <= now && (supersededAt === null || supersededAt.getTime() > now),
      note: row.note,
      createdBy: row.createdBy,
      createdAt: row.createdAt.toISOString(),
    };
  });
}
