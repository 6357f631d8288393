/**
 * Previous / next for a keyset-paged list: `cursors` is the stack of cursors that led to the page shown (empty on the
 * first page), so "previous" pops one and "next" pushes the page's `nextCursor` (null on the last page).
 */
export function CursorPager(props: {
  cursors: string[];
  setCursors: (cursors: string[]) => void;
  nextCursor: string | null | undefined;
}) {
  const { cursors, setCursors, nextCursor } = props;
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
        Previous page
      </button>
      <button type="button" disabled={!nextCursor} onClick={() => nextCursor && setCursors([...cursors, nextCursor])}>
        Next page
      </button>
    </nav>
  );
}
