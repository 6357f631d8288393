import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Benchmark, formatTable, toResult, writeResult } from './harness';

// `npm run bench` runs every benchmark in bench/benchmarks; `npm run bench -- NAME...` runs the named ones.
const benchmarksDir = join(import.meta.dirname, 'benchmarks');
const resultsDir = join(import.meta.dirname, 'results');

async function loadBenchmarks(): Promise<Benchmark[]> {
  const files = readdirSync(benchmarksDir)
    .filter((f) => f.endsWith('.ts'))
    .sort();
  const loaded: Benchmark[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(benchmarksDir, file)).href)) as { default: Benchmark };
    loaded.push(mod.default);
  }
  return loaded;
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const all = await loadBenchmarks();
  const unknown = wanted.filter((name) => !all.some((b) => b.name === name));
  if (unknown.length > 0) {
    console.error(`bench: unknown benchmark ${unknown.join(', ')}; known: ${all.map((b) => b.name).join(', ')}`);
    process.exit(2);
  }
  const selected = wanted.length > 0 ? all.filter((b) => wanted.includes(b.name)) : all;
  let failed = false;
  for (const benchmark of selected) {
    console.log(`\nbench: ${benchmark.name}: ${benchmark.description}`);
    try {
      const figures = await benchmark.run((line) => console.log(`  ${line}`));
      const result = toResult(benchmark.name, figures);
      console.log(formatTable(result));
      console.log(`  written to ${writeResult(resultsDir, result)}`);
    } catch (error) {
      failed = true;
      console.error(
        `bench: ${benchmark.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
  }
  process.exit(failed ? 1 : 0);
}

await main();
