import { parsePatch } from 'diff';

/**
 * A unified diff as the API sends it (one file's `---`/`+++`/`@@` hunks), parsed by jsdiff into hunks and lines and
 * shown line by line: each changed line says "added" or "removed" in text, not only in colour.
 */
export function DiffView({ path, patch }: { path: string; patch: string }) {
  const [file] = parsePatch(patch);
  if (!file || file.hunks.length === 0) return <p className="muted">No changes in {path}.</p>;
  return (
    <section className="diff" aria-label={`Changes in ${path}`}>
      {file.hunks.map((hunk) => (
        <table key={`${hunk.oldStart}:${hunk.newStart}`} className="diff-hunk">
          <caption>
            Lines {hunk.oldStart}–{hunk.oldStart + Math.max(hunk.oldLines - 1, 0)} before, {hunk.newStart}–
            {hunk.newStart + Math.max(hunk.newLines - 1, 0)} after
          </caption>
          <tbody>
            {numbered(hunk).map((line) => (
              <tr key={line.key} className={`diff-${line.kind}`}>
                <td className="diff-num">{line.oldNumber ?? ''}</td>
                <td className="diff-num">{line.newNumber ?? ''}</td>
                <td className="diff-sign">
                  <span aria-hidden="true">{line.kind === 'add' ? '+' : line.kind === 'remove' ? '−' : ' '}</span>
                  {line.kind !== 'same' && (
                    <span className="visually-hidden">{line.kind === 'add' ? 'added' : 'removed'}</span>
                  )}
                </td>
                <td>
                  <code>{line.text}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </section>
  );
}

interface NumberedLine {
  key: string;
  kind: 'add' | 'remove' | 'same';
  text: string;
  oldNumber: number | null;
  newNumber: number | null;
}

/** Old and new line numbers for each line of a hunk (`\ No newline at end of file` markers are left out). */
function numbered(hunk: { oldStart: number; newStart: number; lines: string[] }): NumberedLine[] {
  let oldNumber = hunk.oldStart;
  let newNumber = hunk.newStart;
  const out: NumberedLine[] = [];
  hunk.lines.forEach((line, index) => {
    const sign = line[0];
    const text = line.slice(1);
    if (sign === '+') out.push({ key: `${index}`, kind: 'add', text, oldNumber: null, newNumber: newNumber++ });
    else if (sign === '-') out.push({ key: `${index}`, kind: 'remove', text, oldNumber: oldNumber++, newNumber: null });
    else if (sign === ' ')
      out.push({ key: `${index}`, kind: 'same', text, oldNumber: oldNumber++, newNumber: newNumber++ });
  });
  return out;
}
