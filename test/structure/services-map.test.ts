import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROOT } from './import-graph';

// ARCHITECTURE.md's services map names every folder of packages/services/src and what it owns, one row per folder:
// a folder added without a row, or a row left behind by a folder moved away, fails here.

function mapRows(): string[] {
  const text = readFileSync(`${ROOT}ARCHITECTURE.md`, 'utf8');
  const start = text.indexOf('### Services map');
  expect(start, 'ARCHITECTURE.md has a "### Services map" section').toBeGreaterThanOrEqual(0);
  const section = text.slice(start).split(/\n#{2,3} /)[0] ?? '';
  return [...section.matchAll(/^\| `([^`/]+)\/` \|/gm)].map((match) => match[1] ?? '');
}

describe("ARCHITECTURE.md's services map", () => {
  it('names every services folder once, and no other', () => {
    const folders = readdirSync(`${ROOT}packages/services/src`, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    const rows = mapRows();
    expect(
      rows.filter((row, i) => rows.indexOf(row) !== i),
      'rows named twice',
    ).toEqual([]);
    expect([...rows].sort()).toEqual(folders);
  });
});
