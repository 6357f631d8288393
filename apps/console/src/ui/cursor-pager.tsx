/**
 * Previous / next for a keyset-paged list: `cursors` is the stack of cursors that led to the page shown (empty on the
 * first page), so "previous" pops one and "next" pushes the page's `nextCursor` (null on the last page).
 */
export function CursorPager(props: {
  cursors: string[];
  setCursors: (cursors: string[]) => void;
  nextCursor: string | null | undefined;
  /** The two buttons' names, e.g. ['Newer', 'Older'] for a list pages back in time. */
  labels?: [previous: string, next: string];
}) {
  const { cursors, setCursors, nextCursor } = props;
  const [previous, next] = props.labels ?? ['Previous page', 'Next page'];
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
        {previous}
      </button>
      <button type="button" disabled={!nextCursor} onClick={() => nextCursor && setCursors([...cursors, nextCursor])}>
        {next}
      </button>
    </nav>
  );
}
