// A tampered `chainctl serve --stdio`: what a tenant that interferes with its own serve process can make it say.
// It speaks the protocol (hello, answers, subscription pushes) but the lines it pushes come from a script file:
// HOSTILE_SCRIPT names a JSON file of [cursorNumber, kind, spec] items; see hostile-lines.ts. A subscription resumes
// after its `since` cursor like the real runtime, so a restarted stream sees only what lies after the committed cursor.
const { readFileSync } = require('node:fs');
const readline = require('node:readline');

const items = JSON.parse(readFileSync(process.env.HOSTILE_SCRIPT, 'utf8'));
const out = (text) => process.stdout.write(`${text}\n`);
const json = (message) => out(JSON.stringify(message));
json({ v: 1, type: 'hello', protocol: 1, version: 'hostile', root: '/hostile' });

function lineOf(subscription, item) {
  const [n, kind, spec] = item;
  const cursor = `j1:${n}`;
  const head = `{"v":1,"type":"event","subscription":"${subscription}","cursor":"${cursor}","event":`;
  if (kind === 'event') return head + JSON.stringify(spec) + '}';
  // Raw text for the event: lies JSON.stringify cannot write (1e999, a string seq).
  if (kind === 'raw') return head + spec + '}';
  // An event padded to `spec.bytes` with a long message: a serve line past the limit.
  if (kind === 'huge') return head + JSON.stringify({ ...spec.event, message: 'm'.repeat(spec.bytes) }) + '}';
  if (kind === 'garbage') return 'x'.repeat(spec.bytes);
  throw new Error(`unknown kind ${kind}`);
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const request = JSON.parse(line);
  if (request.op === 'subscribe') {
    json({ v: 1, type: 'response', id: request.id, ok: true, result: { subscription: 's1' } });
    const since = Number((request.since ?? 'j1:0').slice(3));
    for (const item of items) if (item[0] > since) out(lineOf('s1', item));
    return;
  }
  if (request.op === 'list') {
    // An answer far longer than any line the control plane accepts.
    const runs = Array.from({ length: 120_000 }, (_, i) => ({
      run_id: `run-${i}-${'p'.repeat(60)}`,
      chain: 'c',
      status: 'queued',
      created_at: null,
      updated_at: null,
    }));
    return json({ v: 1, type: 'response', id: request.id, ok: true, result: { runs } });
  }
  if (request.op === 'unsubscribe')
    return json({ v: 1, type: 'response', id: request.id, ok: true, result: { ok: true } });
  if (request.op === 'events')
    return json({
      v: 1,
      type: 'response',
      id: request.id,
      ok: true,
      result: { events: [], cursor: request.since ?? '' },
    });
  json({ v: 1, type: 'response', id: request.id, ok: false, error: { code: 'not_found', message: 'hostile' } });
});
