import { readFileSync } from 'node:fs';
import { type ImportEdge, packageOf, ROOT } from './import-graph';

// Every package a workspace imports is declared in its own package.json, so the workspace says what it needs (and a
// workspace import is an edge the package graph can see). Tests and test support may also use the root's dev
// tools (vitest, tsx); anything that ships uses only what its package declares.

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const readManifest = (dir: string): Manifest => JSON.parse(readFileSync(`${ROOT}${dir}/package.json`, 'utf8'));

/** Files that only tests run: unit tests, the test support kept beside the source, and testkit (test support). */
const isTestCode = (path: string) =>
  /\.test\.ts$|[/-]test-(support|app)\.ts$/.test(path) || path.startsWith('packages/testkit/');

/** Imports of packages their workspace does not declare: one line per workspace and package, with a file. */
export function undeclaredImports(edges: ImportEdge[]): string[] {
  const rootDev = readManifest('.').devDependencies ?? {};
  const undeclared = new Map<string, string>();
  for (const edge of edges) {
    const workspace = packageOf(edge.from);
    if (workspace === undefined || edge.packageName === undefined) continue;
    const manifest = readManifest(workspace);
    const declared = { ...manifest.dependencies, ...manifest.devDependencies, ...manifest.peerDependencies };
    if (edge.packageName === manifest.name || edge.packageName in declared) continue;
    if (isTestCode(edge.from) && edge.packageName in rootDev) continue;
    const key = `${workspace} imports ${edge.packageName}`;
    if (!undeclared.has(key)) undeclared.set(key, `${key} (${edge.from})`);
  }
  return [...undeclared.values()].sort();
}
