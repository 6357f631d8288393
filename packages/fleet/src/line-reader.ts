/** What a reader reports about a line longer than its limit: its size and its first bytes (never the whole line). */
export interface OversizeLine {
  bytes: number;
  /** The first `headBytes` bytes of the line, decoded as UTF-8 (a partial character at the end becomes U+FFFD). */
  head: string;
}

/**
 * Cuts a byte stream into lines as chunks arrive. Works on bytes, not strings, so a multi-byte character split
 * across two chunks is decoded whole. A line longer than `maxLineBytes` is discarded up to its newline (only its
 * first `headBytes` are kept, to say what it was) and reported through `onOversize`: a box must not be able to
 * exhaust the collector with one endless line.
 *
 * `pause()` stops delivering lines at once, even in the middle of a chunk; the rest of that chunk waits here until
 * `resume()`. The caller pauses the stream feeding it too, so what waits is at most one chunk.
 */
export class LineReader {
  private parts: Buffer[] = [];
  private partBytes = 0;
  private skipping = false;
  private head: Buffer | undefined;
  private paused = false;
  /** The unprocessed rest of a chunk that arrived while paused. */
  private held: Buffer | undefined;

  constructor(
    private readonly onLine: (line: string, bytes: number) => void,
    private readonly maxLineBytes: number,
    private readonly onOversize: (line: OversizeLine) => void = () => {},
    /** Report empty lines too (a reader that names line numbers must count them). */
    private readonly keepEmpty = false,
    private readonly headBytes = 4096,
  ) {}

  /** Bytes this reader holds now (a partial line, a chunk held while paused): what it costs in memory. */
  get bufferedBytes(): number {
    return (this.skipping ? (this.head?.length ?? 0) : this.partBytes) + (this.held?.length ?? 0);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const held = this.held;
    this.held = undefined;
    if (held) this.push(held);
  }

  push(chunk: Buffer): void {
    if (this.held) {
      // Arrived while paused (the source had more in flight): kept in order behind what is held.
      this.held = Buffer.concat([this.held, chunk]);
      return;
    }
    let start = 0;
    for (;;) {
      if (this.paused) {
        if (start < chunk.length) this.held = chunk.subarray(start);
        return;
      }
      const newline = chunk.indexOf(0x0a, start);
      if (newline === -1) {
        this.keep(chunk.subarray(start));
        return;
      }
      this.keep(chunk.subarray(start, newline));
      this.endLine();
      start = newline + 1;
    }
  }

  /** The stream ended: a last line without a newline is delivered (or reported as oversize) too. */
  end(): void {
    const held = this.held;
    this.held = undefined;
    this.paused = false;
    if (held) this.push(held);
    if (this.partBytes > 0 || this.skipping) this.endLine();
  }

  private keep(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.skipping) {
      this.partBytes += piece.length;
      return;
    }
    this.parts.push(piece);
    this.partBytes += piece.length;
    if (this.partBytes > this.maxLineBytes) {
      const all = Buffer.concat(this.parts, this.partBytes);
      // Copied: a view would keep the whole chunk it was cut from alive.
      this.head = Buffer.from(all.subarray(0, Math.min(this.headBytes, all.length)));
      this.parts = [];
      this.skipping = true;
    }
  }

  private endLine(): void {
    if (this.skipping) {
      const head = this.head?.toString('utf8') ?? '';
      this.head = undefined;
      this.onOversize({ bytes: this.partBytes, head });
    } else if (this.partBytes > 0 || this.keepEmpty) {
      const line = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.partBytes);
      this.onLine(line.toString('utf8'), this.partBytes);
    }
    this.parts = [];
    this.partBytes = 0;
    this.skipping = false;
  }
}
