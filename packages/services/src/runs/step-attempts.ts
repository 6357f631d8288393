import { money } from './run-replies';
import type { RunStepJson } from './run-rows';

/**
 * A run's `run_steps` rows (one per step and attempt, in position then attempt order) as the API shows them: one
 * entry per step, with every attempt. The current attempt is the highest number (the box starts each execution of a
 * step as the next number, and `steps/<step>/output` on the box is that attempt's once it has started). A step's
 * status, timing, exit code and error are its current attempt's; its usage is the sum of its attempts, so the run's
 * totals (the sum of every usage event it recorded) are the sum of its steps.
 */
export function stepsWithAttempts(rows: RunStepJson[]) {
  const byName = new Map<string, RunStepJson[]>();
  for (const row of rows) {
    const attempts = byName.get(row.name);
    if (attempts) attempts.push(row);
    else byName.set(row.name, [row]);
  }
  return [...byName.values()].map((attempts) => {
    const current = attempts.reduce((a, b) => (b.attempt > a.attempt ? b : a));
    const total = attempts.reduce(
      (sum, a) => ({
        tokensIn: sum.tokensIn + a.tokensIn,
        tokensOut: sum.tokensOut + a.tokensOut,
        costMicros: sum.costMicros + BigInt(a.costMicros),
      }),
      { tokensIn: 0, tokensOut: 0, costMicros: 0n },
    );
    return {
      name: current.name,
      position: current.position,
      ...attemptReply(current),
      ...money(total),
      attempts: attempts.map((a) => ({ ...attemptReply(a), current: a === current })),
    };
  });
}

function attemptReply(row: RunStepJson) {
  return {
    attempt: row.attempt,
    status: row.status,
    model: row.model,
    ...money({ tokensIn: row.tokensIn, tokensOut: row.tokensOut, costMicros: BigInt(row.costMicros) }),
    durationMs: row.durationMs,
    exitCode: row.exitCode,
    error: row.error,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}
