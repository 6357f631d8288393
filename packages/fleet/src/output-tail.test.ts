import { describe, expect, it } from 'vitest';
import { OutputTail } from './output-tail';

describe('OutputTail', () => {
  it('keeps everything that fits', () => {
    const tail = new OutputTail(10);
    tail.push(Buffer.from('abc'));
    tail.push(Buffer.from('def'));
    expect(tail.text()).toBe('abcdef');
    expect(tail.truncated).toBe(false);
  });

  it('keeps the newest bytes past the limit', () => {
    const tail = new OutputTail(5);
    tail.push(Buffer.from('abc'));
    tail.push(Buffer.from('defgh'));
    tail.push(Buffer.from('ij'));
    expect(tail.text()).toBe('fghij');
    expect(tail.truncated).toBe(true);
    expect(tail.tail(2)).toBe('ij');
  });
});
