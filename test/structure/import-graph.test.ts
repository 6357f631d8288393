import { beforeAll, describe, expect, it } from 'vitest';
import {
  describeCycle,
  findCycles,
  groupGraph,
  type ImportEdge,
  packageOf,
  readImportGraph,
  servicesFolderOf,
} from './import-graph';
import { undeclaredImports } from './declared-dependencies';
import { deepImports, wildcardExports } from './package-entries';

// The house's structure drawn from the imports (ARCHITECTURE.md, "Packages"): files, packages and the folders of
// packages/services each import one another in one direction. A cycle means two parts hold one job between them;
// the failure names the imports that close it. And every workspace declares the packages it imports.

type GraphName = 'files' | 'packages' | 'services folders';

/**
 * Cycles being removed right now, each naming who removes it. An entry is dropped with its fix; a listed cycle that
 * is gone fails the test, so no entry outlives its fix.
 */
const CYCLES_BEING_REMOVED: { graph: GraphName; members: string[]; by: string }[] = [];

let edges: ImportEdge[];

beforeAll(async () => {
  edges = await readImportGraph(['apps', 'packages', 'test', 'bench', 'scripts']);
}, 120_000);

/** The graph's cycles not listed as being removed, told as the imports that close them; and stale entries. */
function cyclesOf(
  name: GraphName,
  groupOf: (path: string) => string | undefined,
): { cycles: string[]; stale: string[][] } {
  const { graph, why } = groupGraph(edges, groupOf);
  const found = findCycles(graph);
  const listed = CYCLES_BEING_REMOVED.filter((entry) => entry.graph === name).map((entry) => entry.members);
  const same = (a: string[], b: string[]) => a.join('\n') === b.join('\n');
  return {
    cycles: found
      .filter((cycle) => !listed.some((members) => same(members, cycle)))
      .map((cycle) => describeCycle(cycle, graph, why)),
    stale: listed.filter((members) => !found.some((cycle) => same(members, cycle))),
  };
}

describe('the import graph', () => {
  it('is drawn: workspace imports resolve to source files', () => {
    expect(edges.length).toBeGreaterThan(1000);
    const workspace = edges.filter((edge) => edge.packageName?.startsWith('@paddock/'));
    expect(workspace.filter((edge) => !edge.resolved).map((edge) => `${edge.from} -> ${edge.packageName}`)).toEqual([]);
  });

  it('has no cycle between files', () => {
    const { cycles, stale } = cyclesOf('files', (path) => path);
    expect(cycles).toEqual([]);
    expect(stale, 'a cycle listed as being removed is gone: drop its entry').toEqual([]);
  });

  it('has no cycle between packages (apps and packages, their tests included)', () => {
    const { cycles, stale } = cyclesOf('packages', packageOf);
    expect(cycles).toEqual([]);
    expect(stale, 'a cycle listed as being removed is gone: drop its entry').toEqual([]);
  });

  it('has no cycle between the folders of packages/services', () => {
    const { cycles, stale } = cyclesOf('services folders', servicesFolderOf);
    expect(cycles).toEqual([]);
    expect(stale, 'a cycle listed as being removed is gone: drop its entry').toEqual([]);
  });

  it('names only packages its workspace declares', () => {
    expect(undeclaredImports(edges)).toEqual([]);
  });

  it('has no package or app exporting every file (a `./*` export)', () => {
    expect(wildcardExports()).toEqual([]);
  });

  it('uses packages only through the entries their package.json exports', () => {
    expect(deepImports(edges)).toEqual([]);
  });

  it('has no package or app reaching into test/ (unit tests use @paddock/testkit; end-to-end tests live in test/)', () => {
    const intoTests = edges
      .filter((edge) => edge.resolved && packageOf(edge.from) !== undefined && edge.to.startsWith('test/'))
      .map((edge) => `${edge.from} imports ${edge.to}: move the test to test/, or its support to packages/testkit`);
    expect(intoTests).toEqual([]);
  });
});
