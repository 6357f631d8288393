import { type BoxTimeResult, meterBoxTime } from './meter-box-time';
import { rerateUnpriced } from './rerate-unpriced';
import type { ServiceClients } from '../clients';

/**
 * What the monthly close calls before it sums a period: unpriced usage that a price now covers is priced (its
 * periods have no issued invoice yet), and the period's box time is metered into cost entries. Idempotent: calling
 * it twice, or from two workers at once, changes nothing the second time.
 */
export async function prepareBillingPeriod(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  period: { from: Date; to: Date },
  now: Date = new Date(),
): Promise<{ reRated: number; boxTime: BoxTimeResult }> {
  const reRated = await prisma.$transaction((tx) => rerateUnpriced({ prisma: tx }), {
    timeout: 300_000,
    maxWait: 10_000,
  });
  const boxTime = await meterBoxTime({ prisma }, period, now);
  return { reRated, boxTime };
}
