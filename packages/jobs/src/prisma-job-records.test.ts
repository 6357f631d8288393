import { createPrismaClient } from '@paddock/db';
import { createTestDatabase } from '@paddock/testkit';
import { describe, expect, it } from 'vitest';
import { createPrismaJobRecords } from './prisma-job-records';

describe('job records in Postgres', () => {
  it('gives every concurrent creator of one job id the same row, without an error', async () => {
    const db = await createTestDatabase();
    const prisma = createPrismaClient(db.url, { poolMax: 8 });
    try {
      const records = createPrismaJobRecords(prisma);
      const input = { queue: 'fleet', jobId: 'same-window', name: 'secrets.push', payload: {}, maxAttempts: 3 };
      for (let round = 0; round < 5; round++) {
        const ids = await Promise.all(
          Array.from({ length: 8 }, () => records.create({ ...input, jobId: `${input.jobId}-${round}` })),
        );
        expect(new Set(ids.map((r) => r.id)).size).toBe(1);
      }
      expect(await prisma.jobRecord.count()).toBe(5);
    } finally {
      await prisma.$disconnect();
      await db.drop();
    }
  });
});
