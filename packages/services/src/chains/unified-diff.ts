/**
 * Line diffs of prompt files (Myers' O(ND) algorithm) printed as a unified diff, the format people and tools read.
 * Prompts are small; a pair of files more than MAX_EDITS lines apart is shown as a whole-file replacement rather
 * than spending quadratic memory on the minimal diff.
 */
const MAX_EDITS = 2_000;
const NO_EOL = '\u0000no-eol';

type Op = { kind: ' ' | '-' | '+'; line: string };

export function unifiedDiff(
  before: string,
  after: string,
  labels: { from: string; to: string },
  context = 3,
): string | null {
  if (before === after) return null;
  const ops = diffLines(toLines(before), toLines(after));
  const hunks = toHunks(ops, context);
  return [`--- ${labels.from}`, `+++ ${labels.to}`, ...hunks].join('\n') + '\n';
}

function toLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  // A last line without a newline differs from the same line with one, as in `diff -u`.
  else lines[lines.length - 1] += NO_EOL;
  return lines;
}

export function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const prefix = a.slice(0, start).map((line) => ({ kind: ' ' as const, line }));
  const suffix = a.slice(endA).map((line) => ({ kind: ' ' as const, line }));
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  const middle = myers(midA, midB) ?? [
    ...midA.map((line) => ({ kind: '-' as const, line })),
    ...midB.map((line) => ({ kind: '+' as const, line })),
  ];
  return [...prefix, ...middle, ...suffix];
}

/** Shortest edit script, or null when it would take more than MAX_EDITS edits. */
function myers(a: readonly string[], b: readonly string[]): Op[] | null {
  const n = a.length;
  const m = b.length;
  const maxD = Math.min(n + m, MAX_EDITS);
  const offset = maxD + 1;
  const v = new Int32Array(2 * maxD + 3);
  // trace[d] holds v for k in [-d, d] as it was before step d.
  const trace: Int32Array[] = [];
  for (let d = 0; d <= maxD; d++) {
    trace.push(v.slice(offset - d, offset + d + 1));
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && (v[offset + k - 1] as number) < (v[offset + k + 1] as number));
      let x = down ? (v[offset + k + 1] as number) : (v[offset + k - 1] as number) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(a, b, trace, d);
    }
  }
  return null;
}

function backtrack(a: readonly string[], b: readonly string[], trace: Int32Array[], lastD: number): Op[] {
  const ops: Op[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = lastD; d >= 0; d--) {
    const row = trace[d] as Int32Array;
    const at = (k: number) => row[k + d] as number;
    const k = x - y;
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const prevK = down ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ kind: ' ', line: a[x - 1] as string });
      x--;
      y--;
    }
    if (d === 0) break;
    if (down) ops.push({ kind: '+', line: b[y - 1] as string });
    else ops.push({ kind: '-', line: a[x - 1] as string });
    x = prevX;
    y = prevY;
  }
  return ops.reverse();
}

function toHunks(ops: Op[], context: number): string[] {
  const out: string[] = [];
  const changed = ops.map((op, i) => (op.kind === ' ' ? -1 : i)).filter((i) => i >= 0);
  let i = 0;
  while (i < changed.length) {
    const first = changed[i] as number;
    let last = first;
    // Changes closer than two contexts apart share one hunk.
    while (i + 1 < changed.length && (changed[i + 1] as number) - last <= 2 * context) last = changed[++i] as number;
    i++;
    const from = Math.max(0, first - context);
    const to = Math.min(ops.length, last + context + 1);
    let oldStart = 1;
    let newStart = 1;
    for (const op of ops.slice(0, from)) {
      if (op.kind !== '+') oldStart++;
      if (op.kind !== '-') newStart++;
    }
    const body = ops.slice(from, to);
    const oldCount = body.filter((op) => op.kind !== '+').length;
    const newCount = body.filter((op) => op.kind !== '-').length;
    out.push(`@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@`);
    for (const op of body) {
      const noEol = op.line.endsWith(NO_EOL);
      out.push(op.kind + (noEol ? op.line.slice(0, -NO_EOL.length) : op.line));
      if (noEol) out.push('\\ No newline at end of file');
    }
  }
  return out;
}

// `diff -u` writes an empty range as "start-1,0" and omits a count of 1.
function range(start: number, count: number): string {
  if (count === 0) return `${start - 1},0`;
  return count === 1 ? `${start}` : `${start},${count}`;
}
