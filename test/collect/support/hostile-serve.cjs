// A tampered `chainctl serve --stdio`: what a tenant that interferes with its own serve process can make it say.
// It speaks the protocol (hello, answers, subscription pushes) but the lines it pushes come from a script file:
// HOSTILE_SCRIPT names a JSON file of [cursorNumber, kind, spec] items; see hostile-lines.ts. A subscription resumes
// after its `since` cursor like the real runtime, so a restarted stream sees only what lies after the committed cursor.
const { readFileSync } = require('node:fs');
const readline = require('node:readline');

const items = JSON.parse(readFileSync(process.env.HOSTILE_SCRIPT, 'utf8'));
// Whole lines only: while a trickle is half written, other lines (answers) wait for it, as a real serve's would.
let trickling = false;
const waiting = [];
const out = (text) => (trickling ? waiting.push(text) : process.stdout.write(`${text}\n`));
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

// HOSTILE_HANG_SUBSCRIPTIONS=n: the first n subscriptions are accepted and then push nothing (a stream that is open
// but no longer delivering). A 'trickle' item writes its event's line in `spec.chunks` pieces `spec.everyMs` apart (a
// slow stream: bytes arrive, no line completes for a while).
let hangs = Number(process.env.HOSTILE_HANG_SUBSCRIPTIONS ?? 0);
let generation = 0;
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function push(mine, since) {
  for (const item of items) {
    if (item[0] <= since) continue;
    if (mine !== generation) return;
    if (item[1] !== 'trickle') {
      out(lineOf('s1', item));
      continue;
    }
    const line = `${lineOf('s1', [item[0], 'event', item[2].event])}\n`;
    const size = Math.ceil(line.length / item[2].chunks);
    trickling = true;
    for (let at = 0; at < line.length; at += size) {
      process.stdout.write(line.slice(at, at + size));
      await pause(item[2].everyMs);
    }
    trickling = false;
    for (const text of waiting.splice(0)) out(text);
  }
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const request = JSON.parse(line);
  if (request.op === 'subscribe') {
    json({ v: 1, type: 'response', id: request.id, ok: true, result: { subscription: 's1' } });
    generation++;
    if (hangs > 0) {
      hangs--;
      return;
    }
    void push(generation, Number((request.since ?? 'j1:0').slice(3)));
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
  if (request.op === 'unsubscribe') {
    generation++;
    return json({ v: 1, type: 'response', id: request.id, ok: true, result: { ok: true } });
  }
  if (request.op === 'events') {
    // Honest about plain events after `since` (what the catch-up asks); the other kinds are left out.
    const since = Number((request.since ?? 'j1:0').slice(3));
    const after = items.filter((item) => item[0] > since && (item[1] === 'event' || item[1] === 'trickle'));
    const events = after
      .slice(0, request.limit ?? 1000)
      .map((item) => ({ ...(item[1] === 'trickle' ? item[2].event : item[2]), cursor: `j1:${item[0]}` }));
    return json({
      v: 1,
      type: 'response',
      id: request.id,
      ok: true,
      result: { events, cursor: events.length > 0 ? events[events.length - 1].cursor : (request.since ?? '') },
    });
  }
  json({ v: 1, type: 'response', id: request.id, ok: false, error: { code: 'not_found', message: 'hostile' } });
});
