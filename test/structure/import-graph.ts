import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

/** The repository's root: every path in the graph is relative to it. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** One import of one file: `from` and `to` are repository paths (or a package name when `to` did not resolve). */
export interface ImportEdge {
  from: string;
  to: string;
  /** An npm or workspace package name when the import named one (`@paddock/db`, `zod`); else undefined. */
  packageName: string | undefined;
  resolved: boolean;
  typeOnly: boolean;
}

/**
 * Every import of every TypeScript file, drawn by dependency-cruiser. Type-only imports count: a cycle through types
 * is still two files that cannot be read apart. Workspace packages resolve through their package.json exports to the
 * source file, so an import of `@paddock/db` is an edge to `packages/db/src/index.ts`.
 */
export async function readImportGraph(roots: string[]): Promise<ImportEdge[]> {
  const tsConfig = extractTSConfig(`${ROOT}tsconfig.json`);
  const previous = process.cwd();
  // dependency-cruiser resolves relative to the working directory; vitest's is the root too, but say so.
  process.chdir(ROOT);
  try {
    const result = await cruise(
      roots,
      {
        tsPreCompilationDeps: true,
        doNotFollow: { path: 'node_modules' },
        // Build output (the console's bundle under dist/) is not source: its chunks import each other by design.
        exclude: { path: ['/generated/', '/dist/', '\\.data/', '\\.d\\.ts$'] },
        tsConfig: { fileName: 'tsconfig.json' },
      },
      {
        exportsFields: ['exports'],
        conditionNames: ['import', 'require', 'node', 'default', 'types'],
        extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
        mainFields: ['module', 'main', 'types'],
      },
      { tsConfig },
    );
    return edgesOf(result.output as ICruiseResult);
  } finally {
    process.chdir(previous);
  }
}

function edgesOf(result: ICruiseResult): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const module of result.modules) {
    if (module.coreModule || module.source.includes('node_modules')) continue;
    for (const dependency of module.dependencies) {
      if (dependency.coreModule) continue;
      const external = !dependency.module.startsWith('.');
      edges.push({
        from: module.source,
        to: dependency.resolved,
        packageName: external ? packageNameOf(dependency.module) : undefined,
        resolved: !dependency.couldNotResolve,
        typeOnly: dependency.dependencyTypes.includes('type-only'),
      });
    }
  }
  return edges;
}

/** `packages/db/...` -> `packages/db`; `apps/api/...` -> `apps/api`; anything else is no package. */
export function packageOf(path: string): string | undefined {
  const match = /^(packages|apps)\/([^/]+)\//.exec(path);
  return match ? `${match[1]}/${match[2]}` : undefined;
}

/** A production file of packages/services -> its folder (`chains`); tests and the index are in no folder. */
export function servicesFolderOf(path: string): string | undefined {
  const match = /^packages\/services\/src\/([^/]+)\/.+\.ts$/.exec(path);
  if (!match || path.endsWith('.test.ts')) return undefined;
  return match[1];
}

/** `@scope/name/sub/path` -> `@scope/name`; `name/sub` -> `name`. */
export function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/**
 * The cycles of a directed graph: its strongly connected components with more than one node (Tarjan), each as a
 * sorted list of nodes, plus one concrete path around it so a failure says which imports to look at.
 */
export function findCycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    indexOf.set(node, index);
    low.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indexOf.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) ?? 0, indexOf.get(next) ?? 0));
      }
    }
    if (low.get(node) !== indexOf.get(node)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const node of [...graph.keys()].sort()) if (!indexOf.has(node)) visit(node);
  return cycles.sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''));
}

/** The graph of groups (files, packages, folders): an edge for each import between two different groups. */
export function groupGraph(
  edges: ImportEdge[],
  groupOf: (path: string) => string | undefined,
): { graph: Map<string, Set<string>>; why: Map<string, string[]> } {
  const graph = new Map<string, Set<string>>();
  const why = new Map<string, string[]>();
  for (const edge of edges) {
    if (!edge.resolved) continue;
    const from = groupOf(edge.from);
    const to = groupOf(edge.to);
    if (from === undefined || to === undefined || from === to) continue;
    if (!graph.has(from)) graph.set(from, new Set());
    graph.get(from)?.add(to);
    const key = `${from} -> ${to}`;
    why.set(key, [...(why.get(key) ?? []), `${edge.from} imports ${edge.to}`]);
  }
  return { graph, why };
}

/** A cycle told as the imports that make it, for a failure message. */
export function describeCycle(cycle: string[], graph: Map<string, Set<string>>, why: Map<string, string[]>): string {
  const members = new Set(cycle);
  const lines = [`cycle between ${cycle.join(', ')}:`];
  for (const from of cycle) {
    for (const to of graph.get(from) ?? []) {
      if (!members.has(to)) continue;
      lines.push(
        `  ${from} -> ${to}`,
        ...(why.get(`${from} -> ${to}`) ?? []).slice(0, 3).map((line) => `      ${line}`),
      );
    }
  }
  return lines.join('\n');
}
