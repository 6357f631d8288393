import { readdirSync, readFileSync } from 'node:fs';
import { type ImportEdge, packageNameOf, packageOf, ROOT } from './import-graph';

// A package is used through its public surface: the entries its package.json `exports` names (an index, plus a few
// named entries where a separate one is justified), never through its other files. A `./*` export would make every
// file public, so it is refused too. Apps are not libraries: nothing imports them except the end-to-end tests, which
// drive their builders (apps/api/src/test-app.ts) by path; this rule is for packages/*.

interface Manifest {
  name: string;
  exports?: Record<string, unknown> | string;
}

/** One workspace package: its directory, name and the source files its exports name, by subpath. */
export interface PackageSurface {
  dir: string;
  name: string;
  /** `'.'` -> `packages/db/src/index.ts`, `'./migrate'` -> `packages/db/src/migrate.ts`. */
  entries: Map<string, string>;
  /** Export keys holding a `*`: each makes every matching file public. */
  wildcards: string[];
}

const readManifest = (dir: string): Manifest => JSON.parse(readFileSync(`${ROOT}${dir}/package.json`, 'utf8'));

/** An export's target: a path, or a conditions object (`types`/`import`/`default`) whose first path we take. */
function targetOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    for (const condition of ['types', 'import', 'default', 'node']) {
      const found = targetOf((value as Record<string, unknown>)[condition]);
      if (found) return found;
    }
  }
  return undefined;
}

/** Every workspace under `parent` (`packages` or `apps`) with a package.json. */
export function readSurfaces(parent: 'packages' | 'apps'): PackageSurface[] {
  return readdirSync(`${ROOT}${parent}`, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => {
      const dir = `${parent}/${entry.name}`;
      let manifest: Manifest;
      try {
        manifest = readManifest(dir);
      } catch {
        return [];
      }
      const exportsField = typeof manifest.exports === 'string' ? { '.': manifest.exports } : (manifest.exports ?? {});
      const entries = new Map<string, string>();
      const wildcards: string[] = [];
      for (const [key, value] of Object.entries(exportsField)) {
        if (key.includes('*')) {
          wildcards.push(key);
          continue;
        }
        const target = targetOf(value);
        if (target) entries.set(key, `${dir}/${target.replace(/^\.\//, '')}`);
      }
      return [{ dir, name: manifest.name, entries, wildcards }];
    });
}

const specifierOf = (surface: PackageSurface, key: string) =>
  key === '.' ? surface.name : `${surface.name}/${key.replace(/^\.\//, '')}`;

/**
 * The entries whose re-exports reach `file`: from each entry, follow the imports of index files (the files that only
 * gather a surface) inside the package. An entry that reaches the file most likely exports the name wanted.
 */
function entriesReaching(file: string, surface: PackageSurface, edges: ImportEdge[]): string[] {
  const importsOf = new Map<string, string[]>();
  for (const edge of edges) {
    if (!edge.resolved || !edge.to.startsWith(`${surface.dir}/`)) continue;
    importsOf.set(edge.from, [...(importsOf.get(edge.from) ?? []), edge.to]);
  }
  return [...surface.entries]
    .filter(([, entryFile]) => {
      const seen = new Set([entryFile]);
      const queue = [entryFile];
      while (queue.length > 0) {
        const next = queue.shift() ?? '';
        if (next !== entryFile && !next.endsWith('/index.ts')) continue;
        for (const to of importsOf.get(next) ?? []) {
          if (to === file) return true;
          if (!seen.has(to)) {
            seen.add(to);
            queue.push(to);
          }
        }
      }
      return false;
    })
    .map(([key]) => specifierOf(surface, key));
}

/** What to write instead, for a failure message the lead can act on at merge without reading this file. */
function advice(file: string | undefined, surface: PackageSurface, edges: ImportEdge[]): string {
  const all = [...surface.entries.keys()].map((key) => `'${specifierOf(surface, key)}'`).join(', ');
  const reaching = file ? entriesReaching(file, surface, edges) : [];
  if (reaching.length > 0) return `import it from '${reaching[0]}' (its entries: ${all})`;
  const main = surface.entries.get('.') ?? `${surface.dir}/src/index.ts`;
  return `import it from '${surface.name}' and, if the name is not exported there, export it from ${main} (its entries: ${all})`;
}

/**
 * Imports that reach into a package past its exports: a deep specifier (`@paddock/db/seed`) that is not an entry, or
 * a relative path from outside the package to one of its files that is not an entry. One line per import.
 */
export function deepImports(edges: ImportEdge[]): string[] {
  const surfaces = readSurfaces('packages');
  const byDir = new Map(surfaces.map((surface) => [surface.dir, surface]));
  const byName = new Map(surfaces.map((surface) => [surface.name, surface]));
  const found = new Set<string>();
  for (const edge of edges) {
    const surface = edge.resolved
      ? byDir.get(packageOf(edge.to) ?? '')
      : edge.packageName
        ? byName.get(edge.packageName)
        : undefined;
    if (!surface || packageOf(edge.from) === surface.dir) continue;
    if (edge.resolved) {
      if ([...surface.entries.values()].includes(edge.to)) continue;
      found.add(
        `${edge.from} imports ${edge.to}, which ${surface.name} does not export: ${advice(edge.to, surface, edges)}`,
      );
    } else {
      // `@paddock/db/seed` after the wildcard went: it resolves nowhere. Guess the file it meant, for the advice.
      const subpath = edge.to.slice(packageNameOf(edge.to).length + 1);
      const guess = [`${surface.dir}/src/${subpath}.ts`, `${surface.dir}/src/${subpath}/index.ts`].find((path) =>
        edges.some((other) => other.from === path),
      );
      found.add(
        `${edge.from} imports '${edge.to}', which ${surface.name} does not export: ${advice(guess, surface, edges)}`,
      );
    }
  }
  return [...found].sort();
}

/** Manifests (packages and apps) whose exports hold a wildcard. */
export function wildcardExports(): string[] {
  return [...readSurfaces('packages'), ...readSurfaces('apps')].flatMap((surface) =>
    surface.wildcards.map(
      (key) =>
        `${surface.dir}/package.json exports '${key}': name an index and the few entries that need their own instead`,
    ),
  );
}
