/** A calendar month in UTC: the period spend caps (and invoices) count in. */
export interface BillingPeriod {
  /** `YYYY-MM`. */
  label: string;
  start: Date;
  /** Exclusive. */
  end: Date;
}

export function billingPeriodOf(at: Date): BillingPeriod {
  const start = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  const end = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
  return { label: start.toISOString().slice(0, 7), start, end };
}
