// A tampered `chainctl serve --stdio` for terminal streams (a real process, as a box's would be): says hello, and
// answers the first `terminal` request with HOSTILE_PLAN's answer and lines in one write (as one SSH read brings
// them), then, with `flood`, writes chunks without end, as fast as the pipe takes them (each time the pipe is full,
// the bytes written so far go to `flood.blockedFile`). Exits on stdin EOF.
const { writeFileSync } = require('node:fs');
const plan = JSON.parse(process.env.HOSTILE_PLAN);
const out = process.stdout;
out.write(`${JSON.stringify({ v: 1, type: 'hello', protocol: 1, version: 'hostile', root: '/nowhere' })}\n`);
let buffered = '';
let answered = false;
process.stdin.on('data', (chunk) => {
  buffered += chunk.toString('utf8');
  const newline = buffered.indexOf('\n');
  if (answered || newline < 0) return;
  answered = true;
  const request = JSON.parse(buffered.slice(0, newline));
  const answer = {
    v: 1,
    type: 'response',
    id: request.id,
    ok: true,
    result: { stream: request.stream, ...plan.answer },
  };
  const lines = plan.lines.map((line) => JSON.stringify({ v: 1, stream: request.stream, ...line }));
  out.write(`${[JSON.stringify(answer), ...lines].join('\n')}\n`);
  if (plan.flood) flood(request.stream, plan.flood);
});
process.stdin.on('end', () => process.exit(0));

function flood(stream, { from, blockedFile }) {
  const data = Buffer.alloc(65536, 0x61).toString('base64');
  let offset = from;
  const more = () => {
    for (;;) {
      const ok = out.write(`${JSON.stringify({ v: 1, type: 'terminal', stream, offset, data })}\n`);
      offset += 65536;
      if (!ok) {
        if (blockedFile) writeFileSync(blockedFile, String(offset));
        return out.once('drain', more);
      }
    }
  };
  more();
}
