import Table from 'cli-table3';

export interface Output {
  write(text: string): void;
}

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

/** A table for people: plain characters, no colours (output is often piped into grep or a ticket). */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const table = new Table({ head: columns.map((c) => c.header), style: { head: [], border: [] } });
  for (const row of rows) table.push(columns.map((c) => cell(c.value(row))));
  return `${table.toString()}\n`;
}

/** One record as a two-column table (field, value). */
export function renderRecord(fields: ReadonlyArray<[string, unknown]>): string {
  const table = new Table({ style: { head: [], border: [] } });
  for (const [name, value] of fields) table.push({ [name]: cell(value) });
  return `${table.toString()}\n`;
}

export function renderJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (typeof value === 'string') return value.length > 80 ? `${value.slice(0, 77)}...` : value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** A timestamp as people read it in a table: seconds precision, UTC. */
export function when(iso: string | null | undefined): string {
  return iso ? `${iso.slice(0, 19).replace('T', ' ')}Z` : '-';
}
