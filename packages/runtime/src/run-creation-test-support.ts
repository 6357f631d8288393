import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { readRunEvents } from './event-store';
import { runLayout } from './paths';

/** Test helper: the chain the run-creation tests create runs of. */
export const ONE_STEP_CHAIN = 'name: g\nagents:\n  a: { run: "true" }\n';

/** A run published whole: its frozen chain, run.json and `created` event, nothing else in .events. */
export function expectWhole(root: string, runId: string): void {
  const layout = runLayout(root, runId);
  expect(readFileSync(layout.chainFile, 'utf8')).toBe(ONE_STEP_CHAIN);
  expect(JSON.parse(readFileSync(layout.metaFile, 'utf8'))).toMatchObject({ run_id: runId, chain: 'g' });
  const { events, malformed } = readRunEvents(root, runId);
  expect(malformed).toEqual([]);
  expect(events.map((e) => `${e.seq}:${e.kind}`)).toEqual(['1:created']);
}
