import type { Figure } from '../harness';

/** Median and worst of a few rounds: the target holds for the worst one, not the best. */
export function summarise(name: string, seconds: number[], target?: Figure['target']): Figure[] {
  const sorted = [...seconds].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  const worst = sorted[sorted.length - 1] ?? Number.NaN;
  return [
    { name: `${name} (median of ${sorted.length})`, value: round(median), unit: 's' },
    { name: `${name} (worst of ${sorted.length})`, value: round(worst), unit: 's', ...(target ? { target } : {}) },
  ];
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
