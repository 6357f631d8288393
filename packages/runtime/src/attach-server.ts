import { chmodSync, closeSync, openSync, readSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { RUN_STEP, STEP_NAME_PATTERN } from '@paddock/contracts';
import { errorJson } from './cli-errors';
import type { ActRequest, RunAction } from './daemon-protocol';
import type { StoredEvent } from './event-store';
import type { RunningAgent } from './launch-agent';
import { isValidRunId, rootLayout, runLayout, stepLayout } from './paths';

export interface AttachRequest {
  run: string;
  step: string;
  interactive: boolean;
  by: string;
}

export interface AttachHost {
  agentOf(runId: string, step: string): RunningAgent | undefined;
  /** A run action from another process (decide, replay, resume, cancel). */
  act(action: RunAction): Promise<StoredEvent>;
  /** Records what a person typed (coalesced per line) as an `input` event. */
  recordInput(runId: string, step: string, by: string, text: string, bytes: number): void;
}

const INPUT_FLUSH_MS = 1_000;
const MAX_RECORDED_TEXT = 1_000;

/**
 * The daemon's unix socket: `chainctl attach`, and the run actions other processes hand to the daemon. It lives in in the root (mode 0600: only the runtime user, as over
 * SSH). After one JSON request line, the daemon replays what the step printed so far, then streams its terminal live;
 * with `interactive`, bytes from the client are typed into the terminal and recorded as `input` events.
 */
export function startAttachServer(root: string, host: AttachHost): Server {
  const { socketFile } = rootLayout(root);
  rmSync(socketFile, { force: true });
  const server = createServer((socket) => handle(socket, root, host));
  server.on('error', () => undefined);
  server.listen(socketFile, () => chmodSync(socketFile, 0o600));
  return server;
}

function handle(socket: Socket, root: string, host: AttachHost): void {
  let header = '';
  const onData = (chunk: Buffer) => {
    header += chunk.toString('utf8');
    const nl = header.indexOf('\n');
    if (nl < 0) {
      if (header.length > 4096) socket.destroy();
      return;
    }
    socket.off('data', onData);
    const rest = Buffer.from(header.slice(nl + 1));
    let request: AttachRequest | ActRequest;
    try {
      request = JSON.parse(header.slice(0, nl)) as AttachRequest | ActRequest;
    } catch {
      socket.end(`${JSON.stringify({ ok: false, error: 'bad request' })}\n`);
      return;
    }
    if (isActRequest(request)) {
      host.act(request.action).then(
        (stored) => socket.end(`${JSON.stringify({ ok: true, event: stored.event, file: stored.file })}\n`),
        (error: unknown) => socket.end(`${JSON.stringify({ ok: false, error: errorJson(error) })}\n`),
      );
      return;
    }
    void serve(socket, root, host, request, rest);
  };
  socket.on('data', onData);
  socket.on('error', () => undefined);
}

function isActRequest(request: AttachRequest | ActRequest): request is ActRequest {
  return (request as Partial<ActRequest>).op === 'act';
}

async function serve(socket: Socket, root: string, host: AttachHost, request: AttachRequest, typed: Buffer) {
  if (
    !isValidRunId(String(request.run)) ||
    !STEP_NAME_PATTERN.test(String(request.step)) ||
    request.step === RUN_STEP
  ) {
    socket.end(`${JSON.stringify({ ok: false, error: 'invalid run or step' })}\n`);
    return;
  }
  const agent = host.agentOf(request.run, request.step);
  if (!agent) {
    const log = stepLayout(runLayout(root, request.run), request.step).ptyLog;
    socket.end(
      `${JSON.stringify({ ok: false, error: `step ${request.step} of ${request.run} is not running (its terminal so far: ${log})` })}\n`,
    );
    return;
  }
  // Live chunks are held back until the replay of the file up to this point has been sent, so nothing is doubled
  // or lost at the seam.
  const held: Buffer[] = [];
  let live = false;
  const unsubscribe = agent.onData((chunk) => (live ? socket.write(chunk) : held.push(chunk)));
  const upTo = agent.bytes();
  while (agent.flushedBytes() < upTo) await new Promise((r) => setTimeout(r, 5));
  socket.write(`${JSON.stringify({ ok: true, replay_bytes: upTo, interactive: request.interactive })}\n`);
  const logPath = stepLayout(runLayout(root, request.run), request.step).ptyLog;
  const fd = openSync(logPath, 'r');
  try {
    const buffer = Buffer.alloc(64 * 1024);
    let offset = 0;
    while (offset < upTo) {
      const n = readSync(fd, buffer, 0, Math.min(buffer.length, upTo - offset), offset);
      if (n === 0) break;
      socket.write(Buffer.from(buffer.subarray(0, n)));
      offset += n;
    }
  } finally {
    closeSync(fd);
  }
  for (const chunk of held) socket.write(chunk);
  live = true;
  void agent.done.then(() => socket.end());
  socket.on('close', unsubscribe);
  if (!request.interactive) return;
  let pending = '';
  let pendingBytes = 0;
  const flush = () => {
    if (pendingBytes === 0) return;
    host.recordInput(request.run, request.step, request.by, pending.slice(0, MAX_RECORDED_TEXT), pendingBytes);
    pending = '';
    pendingBytes = 0;
  };
  const timer = setInterval(flush, INPUT_FLUSH_MS);
  const type = (chunk: Buffer) => {
    agent.write(chunk);
    pending += chunk.toString('utf8');
    pendingBytes += chunk.length;
    if (/[\r\n]/.test(pending)) flush();
  };
  if (typed.length > 0) type(typed);
  socket.on('data', type);
  socket.on('close', () => {
    clearInterval(timer);
    flush();
  });
}
