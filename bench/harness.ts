import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

/** One measured number. `target` states the goal in words a reader can check (e.g. "<= 1.15"). */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  target?: { op: '<=' | '>=' | '<' | '>'; value: number };
}

export interface Benchmark {
  name: string;
  description: string;
  /** Starts its own services and boxes, measures, and cleans up after itself, even on failure. */
  run(log: (line: string) => void): Promise<Figure[]>;
}

export interface FigureResult {
  name: string;
  value: number;
  unit: string;
  target: string | null;
  met: boolean | null;
}

export interface BenchmarkResult {
  benchmark: string;
  machine: { cores: number; memory: number };
  at: string;
  figures: FigureResult[];
}

export function defineBenchmark(benchmark: Benchmark): Benchmark {
  return benchmark;
}

function meets(value: number, target: NonNullable<Figure['target']>): boolean {
  switch (target.op) {
    case '<=':
      return value <= target.value;
    case '>=':
      return value >= target.value;
    case '<':
      return value < target.value;
    case '>':
      return value > target.value;
  }
}

export function toResult(name: string, figures: Figure[]): BenchmarkResult {
  return {
    benchmark: name,
    machine: { cores: cpus().length, memory: totalmem() },
    at: new Date().toISOString(),
    figures: figures.map((f) => ({
      name: f.name,
      value: f.value,
      unit: f.unit,
      target: f.target ? `${f.target.op} ${f.target.value}` : null,
      met: f.target ? meets(f.value, f.target) : null,
    })),
  };
}

export function formatTable(result: BenchmarkResult): string {
  const rows = result.figures.map((f) => [
    f.name,
    Number.isInteger(f.value) ? String(f.value) : f.value.toFixed(3),
    f.unit,
    f.target ?? '',
    f.met === null ? '' : f.met ? 'met' : 'MISSED',
  ]);
  const header = ['figure', 'value', 'unit', 'target', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  return [`== ${result.benchmark}`, line(header), ...rows.map(line)].join('\n');
}

export function writeResult(resultsDir: string, result: BenchmarkResult): string {
  mkdirSync(resultsDir, { recursive: true });
  const path = join(resultsDir, `${result.benchmark}.json`);
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  return path;
}
