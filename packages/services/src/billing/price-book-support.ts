import type { PriceProblem } from '@paddock/billing';
import { AppError } from '@paddock/contracts';
import { Prisma } from '@paddock/db';

/** The operator changing the price book, as audit rows name them. */
export interface PriceBookOperator {
  userId: string;
  email: string;
}

/** A 400 naming each field the price book refuses (unknown currency, negative or absurd amount). */
export function refuseProblems(problems: PriceProblem[]): void {
  if (problems.length === 0) return;
  throw new AppError('validation_failed', 'The price is not valid.', {
    details: problems.map((p) => ({ path: `body.${p.path}`, message: p.message })),
  });
}

export function uniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}
