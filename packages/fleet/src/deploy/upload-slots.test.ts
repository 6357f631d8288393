import { describe, expect, it } from 'vitest';
import { UploadSlots } from './upload-slots';

describe('UploadSlots', () => {
  it('never runs more than its size at once, runs everything, and frees a slot when work fails', async () => {
    const slots = new UploadSlots(2);
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    const work = (i: number) =>
      slots.run(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        if (i === 1) throw new Error('upload failed');
        done.push(i);
      });
    const results = await Promise.allSettled([0, 1, 2, 3, 4].map(work));
    expect(peak).toBe(2);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(done.sort()).toEqual([0, 2, 3, 4]);
    expect(() => new UploadSlots(0)).toThrow(/positive integer/);
  });
});
