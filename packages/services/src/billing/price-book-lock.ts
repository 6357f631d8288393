import type { Prisma } from '@paddock/db';

/**
 * The price book's lock, between ingestion and price changes (a transaction-scoped advisory lock):
 * - a batch that rates takes it SHARED before it reads prices (batches never wait for each other);
 * - adding or fixing a price takes it EXCLUSIVE for its short transaction.
 * So a price change waits for every batch that read the old prices to commit, and every batch after it reads the new
 * one: the re-rating that follows the change (its own transaction) sees every event rated without the price. Without
 * it, a batch that read prices just before the change would commit its events unpriced after the re-rating ran.
 * The exclusive side touches only model_prices and audit_log while it holds the lock, so it cannot deadlock with a
 * batch (which may hold run rows).
 */
export const SHARED_PRICE_BOOK_LOCK = `SELECT pg_advisory_xact_lock_shared(hashtext('paddock:price-book'), 0)`;

/** Takes the exclusive side in a Prisma transaction (held until it ends). */
export async function lockPriceBook({ prisma: tx }: { prisma: Prisma.TransactionClient }): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('paddock:price-book'), 0)`;
}
