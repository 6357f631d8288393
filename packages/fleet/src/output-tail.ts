/**
 * Collects a stream's output, keeping at most `limit` bytes: everything while it fits, then the newest bytes.
 * Remote commands can print without bound (a runaway build log), the control plane must not.
 */
export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit && this.chunks.length > 0) {
      const first = this.chunks[0]!;
      const excess = this.size - this.limit;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
        this.dropped += first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
        this.dropped += excess;
      }
    }
  }

  /** True when older output was dropped to stay within the limit. */
  get truncated(): boolean {
    return this.dropped > 0;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }

  /** The last `bytes` bytes as text, for error messages and log tails. */
  tail(bytes: number): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - bytes)).toString('utf8');
  }
}
