import { structuredPatch } from 'diff';

/**
 * Line diffs of prompt files printed as a unified diff, the format people and tools read, computed by jsdiff
 * (`diff`). Prompts are small; a pair of files more than MAX_EDITS lines apart is shown as a whole-file replacement
 * rather than spending quadratic time on the minimal diff.
 */
const MAX_EDITS = 2_000;
const NO_EOL_MARK = '\\ No newline at end of file';

interface Hunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  lines: string[];
}

export function unifiedDiff(
  before: string,
  after: string,
  labels: { from: string; to: string },
  context = 3,
): string | null {
  if (before === after) return null;
  const patch = structuredPatch(labels.from, labels.to, before, after, undefined, undefined, {
    context,
    maxEditLength: MAX_EDITS,
  });
  const hunks = patch ? patch.hunks : [wholeFileHunk(before, after)];
  const out = [`--- ${labels.from}`, `+++ ${labels.to}`];
  for (const hunk of hunks) {
    out.push(`@@ -${range(hunk.oldStart, hunk.oldLines)} +${range(hunk.newStart, hunk.newLines)} @@`, ...hunk.lines);
  }
  return `${out.join('\n')}\n`;
}

function wholeFileHunk(before: string, after: string): Hunk {
  const removed = marked('-', before);
  const added = marked('+', after);
  const count = (text: string) => (text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0));
  const oldLines = count(before);
  const newLines = count(after);
  return {
    oldStart: 1,
    oldLines,
    newStart: 1,
    newLines,
    lines: [...removed, ...added],
  };
}

function marked(sign: '-' | '+', text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') {
    lines.pop();
    return lines.map((line) => sign + line);
  }
  return [...lines.map((line) => sign + line), NO_EOL_MARK];
}

// `diff -u` writes an empty range as "start-1,0" (the line before it) and omits a count of 1.
function range(start: number, count: number): string {
  if (count === 0) return `${start - 1},0`;
  return count === 1 ? `${start}` : `${start},${count}`;
}
