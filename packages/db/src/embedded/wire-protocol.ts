// The few PostgreSQL wire-protocol facts the embedded server's session multiplexer needs.

export const SYNC_MESSAGE = new Uint8Array([0x53, 0, 0, 0, 4]); // 'S', length 4
export const TERMINATE = 0x58; // 'X'
const READY_FOR_QUERY = 0x5a; // 'Z'

/** Transaction status carried by ReadyForQuery: idle, in a transaction block, or in a failed one. */
export type TransactionStatus = 'I' | 'T' | 'E';

/**
 * Follows a stream of backend messages across arbitrary chunk boundaries and remembers whether the last complete
 * message was ReadyForQuery, and with which transaction status. ReadyForQuery is the server's "your turn"
 * marker: after a simple query, a Sync, a COPY or the startup handshake, and nowhere else.
 */
export class ReadyForQueryTracker {
  private header = new Uint8Array(5);
  private headerLength = 0;
  private remaining = 0;
  private type = 0;
  private body: number[] = [];
  /** Status of the last complete message if it was ReadyForQuery, else null. */
  lastReady: TransactionStatus | null = null;

  push(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.headerLength < 5) {
        const take = Math.min(5 - this.headerLength, chunk.length - offset);
        this.header.set(chunk.subarray(offset, offset + take), this.headerLength);
        this.headerLength += take;
        offset += take;
        if (this.headerLength < 5) return;
        this.type = this.header[0] ?? 0;
        const length = new DataView(this.header.buffer).getInt32(1);
        this.remaining = length - 4;
        this.body = [];
        if (this.remaining === 0) this.finish();
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - offset);
      // Only ReadyForQuery's one-byte body is ever needed; other bodies are skipped, not copied.
      if (this.type === READY_FOR_QUERY) for (let i = 0; i < take; i++) this.body.push(chunk[offset + i] ?? 0);
      this.remaining -= take;
      offset += take;
      if (this.remaining === 0) this.finish();
    }
  }

  private finish(): void {
    const status = String.fromCharCode(this.body[0] ?? 0);
    this.lastReady =
      this.type === READY_FOR_QUERY && (status === 'I' || status === 'T' || status === 'E') ? status : null;
    this.headerLength = 0;
  }
}

/** A FATAL ErrorResponse, for refusing a connection the way PostgreSQL itself does. */
export function fatalError(sqlState: string, message: string): Buffer {
  const fields = Buffer.concat([
    Buffer.from('SFATAL\0'),
    Buffer.from('VFATAL\0'),
    Buffer.from(`C${sqlState}\0`),
    Buffer.from(`M${message}\0`),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(5);
  header.write('E', 0);
  header.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([header, fields]);
}
