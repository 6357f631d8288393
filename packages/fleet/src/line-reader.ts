/**
 * Cuts a byte stream into lines as chunks arrive. Works on bytes, not strings, so a multi-byte character split
 * across two chunks is decoded whole. A line longer than `maxLineBytes` is dropped (reported through `onOversize`)
 * instead of growing memory without bound: a box must not be able to exhaust the collector with one endless line.
 */
export class LineReader {
  private parts: Buffer[] = [];
  private partBytes = 0;
  private skipping = false;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLineBytes: number,
    private readonly onOversize: (bytes: number) => void = () => {},
    /** Report empty lines too (a reader that names line numbers must count them). */
    private readonly keepEmpty = false,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
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

  private keep(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.skipping) {
      this.partBytes += piece.length;
      return;
    }
    this.parts.push(piece);
    this.partBytes += piece.length;
    if (this.partBytes > this.maxLineBytes) {
      this.parts = [];
      this.skipping = true;
    }
  }

  private endLine(): void {
    if (this.skipping) {
      this.onOversize(this.partBytes);
    } else if (this.partBytes > 0 || this.keepEmpty) {
      const line = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.partBytes);
      this.onLine(line.toString('utf8'));
    }
    this.parts = [];
    this.partBytes = 0;
    this.skipping = false;
  }
}
