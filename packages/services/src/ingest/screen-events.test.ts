import { MAX_EVENT_DATA_DEPTH, MAX_EVENT_TEXT_CHARS, type RunEvent } from '@paddock/contracts';
import { runEvents } from '@paddock/testkit';
import { describe, expect, it } from 'vitest';
import { depthOf, screenEvent } from './screen-events';

// The screen every event passes before it touches Postgres (test/ingest/quarantine.test.ts drives the values it
// refuses through a real ingest).

/** `{ a: { a: ... } }`, `depth` levels, built without recursion. */
function nested(depth: number): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let at = root;
  for (let i = 1; i < depth; i++) {
    const next: Record<string, unknown> = {};
    at.a = next;
    at = next;
  }
  return root;
}

describe('screenEvent', () => {
  it('measures depth without recursion and stops counting past the limit', () => {
    expect(depthOf(1, 32)).toBe(0);
    expect(depthOf({ a: [1, { b: 2 }] }, 32)).toBe(3);
    expect(depthOf(nested(1_000_000), MAX_EVENT_DATA_DEPTH)).toBe(MAX_EVENT_DATA_DEPTH + 1);
  });

  it('refuses every out-of-range figure with a reason, and passes what the runtime writes', () => {
    const [base] = runEvents('r', [{ step: 'a', kind: 'complete', status: 'complete', attempt: 1 }]);
    const event = base as RunEvent;
    const reasonOf = (patch: Partial<RunEvent>) => screenEvent({ ...event, ...patch })?.reason;
    expect(reasonOf({})).toBeUndefined();
    expect(reasonOf({ seq: 3_000_000_000 })).toBe('seq_out_of_range');
    expect(reasonOf({ attempt: 2 ** 40 })).toBe('attempt_out_of_range');
    expect(reasonOf({ exit_code: -3_000_000_000 })).toBe('exit_code_out_of_range');
    expect(reasonOf({ input_tokens: -1 })).toBe('tokens_out_of_range');
    expect(reasonOf({ output_tokens: Number.NaN })).toBe('tokens_out_of_range');
    expect(reasonOf({ tokens_used: 2 ** 63 })).toBe('tokens_out_of_range');
    expect(reasonOf({ cost_usd: Number.POSITIVE_INFINITY })).toBe('cost_out_of_range');
    expect(reasonOf({ cost_usd: 1e30 })).toBe('cost_out_of_range');
    expect(reasonOf({ duration_seconds: -5 })).toBe('duration_out_of_range');
    expect(reasonOf({ message: 'x'.repeat(MAX_EVENT_TEXT_CHARS + 1) })).toBe('text_too_long');
    expect(reasonOf({ data: nested(100_000) })).toBe('data_too_deep');
    expect(reasonOf({ data: { blob: 'y'.repeat(200_000) } })).toBe('data_too_large');
    expect(reasonOf({ run_id: 'r'.repeat(129) })).toBe('run_id_invalid');
    expect(reasonOf({ model: 'm'.repeat(300_000) })).toBe('event_too_large');
  });
});
