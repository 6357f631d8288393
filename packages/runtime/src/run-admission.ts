import type { BoxCaps, BoxRefusalCode } from '@paddock/contracts';
import { BoxCapsReader } from './box-caps';
import { eventsSince, formatCursor, parseCursor } from './journal';

export interface Refusal {
  code: BoxRefusalCode;
  message: string;
  data: { code: BoxRefusalCode; limit: string; current: number | null; maximum: number | null };
}

/**
 * Usage reported on this box since a cursor of its journal: the box's own view of what it spent after the point the
 * control plane's budget covers. Read incrementally (only journal lines written since the last ask), so judging a
 * run costs what is new, not the box's history; a new cursor from the control plane starts the count again.
 */
export class BudgetLedger {
  private from: string | undefined;
  private offset = 0;
  private spentMicros = 0;

  constructor(private readonly root: string) {}

  spentSince(cursor: string): number {
    if (cursor !== this.from) {
      this.from = cursor;
      this.spentMicros = 0;
      try {
        this.offset = parseCursor(cursor);
      } catch {
        this.offset = 0; // a cursor this box never printed: count everything it has
      }
    }
    let page: ReturnType<typeof eventsSince>;
    try {
      page = eventsSince(this.root, formatCursor(this.offset));
    } catch {
      // The journal is shorter than the cursor (reset by hand): count it all again.
      this.offset = 0;
      page = eventsSince(this.root, formatCursor(0));
    }
    for (const { event } of page.events) {
      const cost = event.cost_usd;
      if (typeof cost === 'number' && Number.isFinite(cost) && cost > 0) this.spentMicros += Math.round(cost * 1e6);
    }
    this.offset = parseCursor(page.cursor);
    return this.spentMicros;
  }
}

/**
 * Judges a new run against the caps the box holds (box-caps.ts): the concurrency limit and the hard spend cap's
 * budget, whatever the control plane can see right now. Called by the daemon, one run at a time, with the number of
 * runs it has admitted and not finished.
 */
export class RunAdmission {
  private readonly reader: BoxCapsReader;
  private readonly ledger: BudgetLedger;

  constructor(root: string) {
    this.reader = new BoxCapsReader(root);
    this.ledger = new BudgetLedger(root);
  }

  judge(activeRuns: number): Refusal | undefined {
    const read = this.reader.read();
    if (!read.ok) {
      return refusal('caps_unreadable', 'caps', null, null, `the box's caps file is unreadable (${read.error})`);
    }
    const caps: BoxCaps | undefined = read.caps;
    if (!caps) return undefined;
    const max = caps.max_concurrent_runs;
    if (max !== null && activeRuns >= max) {
      return refusal(
        'plan_limit_reached',
        'maxConcurrentRuns',
        activeRuns,
        max,
        `the plan allows at most ${max} runs at once on this box and ${activeRuns} are active`,
      );
    }
    if (caps.budget) {
      const spent = this.ledger.spentSince(caps.budget.cursor);
      const left = caps.budget.remaining_micros - spent;
      if (left <= 0) {
        return refusal(
          'spend_cap_reached',
          'spendCap',
          spent,
          caps.budget.remaining_micros,
          `the monthly spend cap for ${caps.budget.period} is reached on this box: ${spent} micros spent since ` +
            `the control plane's last count, of the ${caps.budget.remaining_micros} micros it left`,
        );
      }
    }
    return undefined;
  }
}

function refusal(
  code: BoxRefusalCode,
  limit: string,
  current: number | null,
  maximum: number | null,
  why: string,
): Refusal {
  return { code, message: `${code}: ${why}`, data: { code, limit, current, maximum } };
}
