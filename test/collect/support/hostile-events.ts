/**
 * A Node script that a hostile tenant runs on its box as the runtime user: it writes event files of its own under
 * `runs/<id>/.events/` and lists them in the box journal, exactly as the runtime does, so the real `chainctl serve`
 * pushes them to the control plane. Every value passes the runtime's event schema; each lies in a way that once
 * stalled collection or flooded memory. Arguments: the runtime root, a run id of another tenant, the flood size.
 * (NaN and Infinity cannot be written in JSON and the runtime refuses them: the tampered-serve test covers those.)
 */
export const HOSTILE_EVENTS_SCRIPT = `
const fs = require('node:fs');
const path = require('node:path');
const [root, foreignRunId, floodCount, floodBytes] = process.argv.slice(1);
const journal = path.join(root, 'journal.jsonl');
const at = (n) => new Date(Date.UTC(2026, 0, 2, 0, 0, 0, n % 100000)).toISOString();

// data: raw JSON text, so a nesting JSON.stringify cannot write (it overflows near 5,000 levels) can be put in place.
function put(run, seq, step, kind, fields, dataText) {
  const dir = path.join(root, 'runs', run, '.events');
  fs.mkdirSync(dir, { recursive: true });
  const status = kind === 'finished' ? 'succeeded' : kind === 'created' ? 'queued' : 'running';
  const event = { run_id: run, seq, step, kind, status, timestamp: at(seq), ...fields };
  let text = JSON.stringify(event);
  if (dataText) text = text.slice(0, -1) + ',"data":' + dataText + '}';
  const file = String(seq).padStart(6, '0') + '-' + step + '.' + kind + '.json';
  fs.writeFileSync(path.join(dir, file), text);
  fs.appendFileSync(journal, JSON.stringify({ run, file, ts: event.timestamp, pid: process.pid, w: 'hostile' }) + '\\n');
}
const nested = (depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

const run = 'hostile-1';
put(run, 1, '_run', 'created', { data: { chain: 'short' } });
put(run, 3000000000, 'a', 'started', {});
put(run, 2, 'a', 'complete', { attempt: 1, input_tokens: 2 ** 63, output_tokens: 1 });
put(run, 3, 'a', 'complete', { attempt: 1, input_tokens: 1, output_tokens: -5 });
put(run, 4, 'a', 'complete', { attempt: 1, cost_usd: 1e300 });
put(run, 5, 'a', 'alert', {}, nested(1000));
put(run, 6, 'a', 'alert', {}, nested(20000));
put(run, 7, 'a', 'alert', { message: 'l'.repeat(1024 * 1024) });
for (let i = 0; i < Number(floodCount); i++) put(run, 8 + i, 'a', 'alert', { message: 'f'.repeat(Number(floodBytes)) });
put(run, 8 + Number(floodCount), '_run', 'finished', {});
// Another tenant's run, named as if it ran here.
put(foreignRunId, 1, 'a', 'complete', { attempt: 1, input_tokens: 500, cost_usd: 5 });
`;
