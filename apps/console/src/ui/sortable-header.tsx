export type SortOrder = 'asc' | 'desc';

export interface SortState<K extends string> {
  sort: K;
  order: SortOrder;
}

/**
 * The sort a list page shows, from its URL (`?sort=name&order=asc`), so a sorted list can be shared and the back
 * button works; an unknown column falls back to the page's default. The server does the sorting: pages pass
 * `sort` and `order` on to the API.
 */
export function readSort<K extends string>(
  search: URLSearchParams,
  columns: readonly K[],
  fallback: SortState<K>,
  defaultOrder: (column: K) => SortOrder = () => 'asc',
): SortState<K> {
  const asked = search.get('sort');
  const sort = columns.find((column) => column === asked);
  if (!sort) return fallback;
  const order = search.get('order');
  return { sort, order: order === 'asc' || order === 'desc' ? order : defaultOrder(sort) };
}

/**
 * A column header that sorts the list by its column: a real button (keyboard and screen readers reach it), the
 * state told with `aria-sort` on the header cell. Clicking the sorted column flips the direction; another column
 * starts in its own default direction (ascending unless `defaultOrder` says otherwise, e.g. dates newest first).
 */
export function SortableHeader<K extends string>(props: {
  label: string;
  column: K;
  state: SortState<K>;
  onSort: (next: SortState<K>) => void;
  defaultOrder?: SortOrder;
}) {
  const active = props.state.sort === props.column;
  const next: SortState<K> = active
    ? { sort: props.column, order: props.state.order === 'asc' ? 'desc' : 'asc' }
    : { sort: props.column, order: props.defaultOrder ?? 'asc' };
  return (
    <th scope="col" aria-sort={active ? (props.state.order === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button type="button" className="sort" onClick={() => props.onSort(next)}>
        {props.label}
        <span aria-hidden="true" className="sort-mark">
          {active ? (props.state.order === 'asc' ? ' ▲' : ' ▼') : ' ↕'}
        </span>
        <span className="visually-hidden">{`, sort ${next.order === 'asc' ? 'ascending' : 'descending'}`}</span>
      </button>
    </th>
  );
}
