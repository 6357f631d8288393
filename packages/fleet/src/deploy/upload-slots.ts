/**
 * A limit on how many boxes of a rollout upload at once. Boxes that all upload together also finish together and
 * then verify, restart and health-check at the same moment, each starting Node processes on the same CPUs; with
 * fewer uploads at a time, boxes finish in waves and one wave's remote steps overlap the next wave's upload.
 */
export class UploadSlots {
  private free: number;
  private waiting: (() => void)[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`upload slots must be a positive integer, got ${size}`);
    this.free = size;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}
