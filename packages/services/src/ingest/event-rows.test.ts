import { describe, expect, it } from 'vitest';
import { canonicalTimeMs, EventRowBatch, eventTimeMs } from './event-rows';
import { runEvents } from '@paddock/testkit';

describe('canonicalTimeMs', () => {
  it('reads toISOString() output exactly as Date.parse does', () => {
    for (const iso of [
      '2026-01-01T00:00:00.000Z',
      '2024-02-29T23:59:59.999Z',
      '2000-02-29T12:00:00.500Z',
      '0100-03-01T00:00:00.000Z',
      '9999-12-31T23:59:59.999Z',
    ]) {
      expect(canonicalTimeMs(iso)).toBe(Date.parse(iso));
      expect(new Date(canonicalTimeMs(iso)).toISOString()).toBe(iso);
    }
  });

  it('refuses what toISOString() never writes, leaving it to the general parser', () => {
    for (const text of [
      '2026-02-29T00:00:00.000Z', // not a leap year (V8 reads it as March 1st)
      '1900-02-29T00:00:00.000Z',
      '2026-04-31T00:00:00.000Z',
      '2026-01-01T24:00:00.000Z',
      '2026-13-01T00:00:00.000Z',
      '0050-01-01T00:00:00.000Z', // Date.UTC would read the year as 1950
      '2026-01-01T00:00:00Z',
      '2026-01-01T00:00:00.000+01:00',
      '2026-01-01 00:00:00.000Z',
      '2026-0a-01T00:00:00.000Z',
      'not a time at all, 24 c',
    ]) {
      expect(canonicalTimeMs(text)).toBeNaN();
    }
    expect(eventTimeMs('2026-01-01T01:00:00+01:00')).toBe(Date.parse('2026-01-01T00:00:00.000Z'));
    expect(eventTimeMs('2026-02-29T00:00:00.000Z')).toBe(Date.parse('2026-02-29T00:00:00.000Z'));
    expect(eventTimeMs('nonsense')).toBeNaN();
  });
});

describe('EventRowBatch', () => {
  it('keeps one row per key, stores canonical times as given and normalises or replaces the rest', () => {
    const [a, b, c] = runEvents('r1', [
      { step: '_run', kind: 'created', status: 'queued' },
      { step: 's', kind: 'started', status: 'running' },
      { step: 's', kind: 'complete', status: 'complete' },
    ]);
    const batch = new EventRowBatch('0a4b21e8-dcb1-453b-95e9-88411f9fa6e4', '2026-06-01T00:00:00.000Z');
    batch.add(a!);
    batch.add({ ...b!, timestamp: '2026-01-01T05:00:00+02:00' });
    batch.add({ ...b!, timestamp: '2026-01-01T05:00:00+02:00' }); // the same event twice
    batch.add({ ...c!, timestamp: 'yesterday' });
    expect(batch.received).toBe(4);
    expect(batch.rows.map((r) => [r.seq, r.occurredAt])).toEqual([
      [1, a!.timestamp],
      [2, '2026-01-01T03:00:00.000Z'],
      [3, '2026-06-01T00:00:00.000Z'],
    ]);
  });
});
