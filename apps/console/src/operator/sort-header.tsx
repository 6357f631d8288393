/**
 * A column header that sorts the table on the server: a button (keyboard and screen readers reach it), with the
 * column's current order announced through aria-sort.
 */
export function SortHeader(props: {
  column: string;
  label: string;
  sort: string;
  order: 'asc' | 'desc';
  onSort: (column: string, order: 'asc' | 'desc') => void;
}) {
  const active = props.sort === props.column;
  const next = active && props.order === 'desc' ? 'asc' : 'desc';
  return (
    <th scope="col" aria-sort={active ? (props.order === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button type="button" className="sort" onClick={() => props.onSort(props.column, next)}>
        {props.label}
        <span aria-hidden="true">{active ? (props.order === 'asc' ? ' ▲' : ' ▼') : ''}</span>
      </button>
    </th>
  );
}
