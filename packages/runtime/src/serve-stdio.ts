import { once } from 'node:events';
import { type FSWatcher, watch } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import {
  AppError,
  isDecisionStep,
  PROTOCOL_VERSION,
  type ProtocolRequest,
  ProtocolRequestSchema,
  type ProtocolServerMessage,
  parseChainDefinition,
  type RunEvent,
} from '@paddock/contracts';
import { type LoadedChain, loadChainFile, loadChainText } from './chain-files';
import { errorJson } from './cli-errors';
import { health } from './commands/health';
import { writeBoxCaps } from './box-caps';
import { createRun } from './create-run';
import { eventsSince, parseCursor } from './journal';
import { rootLayout } from './paths';
import { listRunIds, loadRun, runStatusJson } from './read-run';
import { cancel, decide, replay, resume } from './run-actions';
import { TerminalFollow, type TerminalSink } from './terminal-follow';
import { RUNTIME_VERSION } from './version';

interface Subscription {
  id: string;
  cursor: string | undefined;
  runId: string | undefined;
}

// A safety net under the journal watch (which delivers within a millisecond): a missed notification waits this long.
// Every open subscription reads the journal this often, idle or not, on every box.
const SUBSCRIPTION_POLL_MS = 2_000;

/** Inline chain texts whose parse a serve process keeps (a box runs few chain versions at a time). */
const INLINE_CHAINS_KEPT = 8;

/** Terminal streams one serve process follows at once (the control plane opens one process per stream). */
const MAX_TERMINAL_FOLLOWS = 16;

/**
 * `chainctl serve --stdio`: the long-lived channel the control plane keeps open per box over SSH. One JSON request
 * per line in, one response per line out (same id), plus `event` pushes for subscriptions. Every request is
 * validated by ProtocolRequestSchema; a bad line gets an error response and the channel stays open.
 */
export function serveStdio(options: {
  root: string;
  cwd: string;
  input: Readable;
  output: Writable;
  defaultBy: string;
}): Promise<void> {
  const { root } = options;
  const subscriptions = new Map<string, Subscription>();
  let nextSubscription = 1;
  let watcher: FSWatcher | undefined;
  let poll: NodeJS.Timeout | undefined;
  let pumping = false;
  const follows = new Map<string, TerminalFollow>();
  /** Set once stdin closed: the client is gone, follows stop without writing to it. */
  let closing = false;

  const send = (message: ProtocolServerMessage) => {
    options.output.write(`${JSON.stringify(message)}\n`);
  };

  /**
   * A send that waits until the output takes more: a terminal follow reads its log only as fast as the control
   * plane reads the channel (which pauses when its HTTP client is slow), so nothing piles up in this process.
   */
  const sendPaced = async (message: ProtocolServerMessage) => {
    if (closing) return;
    if (options.output.write(`${JSON.stringify(message)}\n`)) return;
    await Promise.race([once(options.output, 'drain'), once(options.output, 'close')]);
  };

  const terminalSink = (stream: string): TerminalSink => ({
    chunk: (offset, data) =>
      sendPaced({ v: PROTOCOL_VERSION, type: 'terminal', stream, offset, data: data.toString('base64') }),
    end: (end) => sendPaced({ v: PROTOCOL_VERSION, type: 'terminal_end', stream, ...end }),
  });

  /**
   * One event push. An event file someone wrote by hand can hold data nested too deep to serialize (JSON.stringify
   * overflows the stack around 5,000 levels): the push then names the event without its body, which the control
   * plane's schema refuses and quarantines with this cursor, instead of this process dying on it at every start.
   */
  const sendEvent = (subscription: string, cursor: string, event: RunEvent) => {
    try {
      send({ v: PROTOCOL_VERSION, type: 'event', subscription, cursor, event });
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      const unsendable = { run_id: event.run_id, seq: event.seq, unsendable: 'the event cannot be serialized' };
      options.output.write(
        `${JSON.stringify({ v: PROTOCOL_VERSION, type: 'event', subscription, cursor, event: unsendable })}\n`,
      );
    }
  };

  const pump = () => {
    if (pumping) return;
    pumping = true;
    try {
      for (const sub of subscriptions.values()) {
        for (;;) {
          const page = eventsSince(root, sub.cursor, { ...(sub.runId ? { runId: sub.runId } : {}), limit: 1000 });
          for (const { event, cursor } of page.events) sendEvent(sub.id, cursor, event);
          const moved = page.cursor !== sub.cursor;
          sub.cursor = page.cursor;
          if (page.events.length < 1000 || !moved) break;
        }
      }
    } finally {
      pumping = false;
    }
  };

  const ensureWatching = () => {
    if (watcher || subscriptions.size === 0) return;
    const { root: dir, journalFile } = rootLayout(root);
    const name = journalFile.slice(dir.length + 1);
    try {
      watcher = watch(dir, (_e, file) => {
        if (file === null || file === name) setImmediate(pump);
      });
    } catch {
      watcher = undefined; // root not created yet: the poll below still delivers
    }
    poll = setInterval(pump, SUBSCRIPTION_POLL_MS);
  };

  /**
   * Inline chains parsed lately, by text: a burst of runs of one chain version parses its YAML once, not once per
   * run. Only chains that reference no files are kept (a referenced file may change between two requests).
   */
  const inlineChains = new Map<string, LoadedChain>();
  const inlineChain = (text: string): LoadedChain => {
    const known = inlineChains.get(text);
    if (known) return known;
    const loaded = loadChainText(text, join(options.cwd, 'inline-chain.yaml'), 'inline-chain.yaml');
    if (loaded.files.size === 0) {
      if (inlineChains.size >= INLINE_CHAINS_KEPT) inlineChains.delete(inlineChains.keys().next().value as string);
      inlineChains.set(text, loaded);
    }
    return loaded;
  };

  const handle = async (request: ProtocolRequest): Promise<unknown> => {
    switch (request.op) {
      case 'health':
        return health(root);
      case 'validate': {
        const parsed = parseChainDefinition(request.text, request.file_name);
        if (!parsed.ok) return { ok: false, errors: parsed.errors };
        const steps = Object.entries(parsed.chain.agents).map(([step, def]) => ({
          step,
          type: isDecisionStep(def) ? 'decision' : 'agent',
          needs: def.needs,
        }));
        return { ok: true, chain: parsed.chain.name, steps };
      }
      case 'run': {
        if ((request.file === undefined) === (request.text === undefined)) {
          throw new AppError('bad_request', 'give exactly one of file or text');
        }
        const loaded = request.file
          ? loadChainFile(resolve(options.cwd, request.file))
          : inlineChain(request.text as string);
        const inputs = Object.entries(request.inputs).map(([key, value]) => ({ key, value: Buffer.from(value) }));
        // Stored first, so the daemon judges this run by the figures that came with it.
        if (request.caps) writeBoxCaps(root, request.caps);
        const { runId } = await createRun(root, loaded, inputs, request.run_id);
        return { run_id: runId, status: 'queued', chain: loaded.chain.name, chain_version: loaded.version };
      }
      case 'caps':
        writeBoxCaps(root, request.caps);
        return { ok: true };
      case 'status':
        return runStatusJson(loadRun(root, request.run_id));
      case 'list':
        return {
          runs: listRunIds(root).map((id) => {
            const s = runStatusJson(loadRun(root, id));
            return { run_id: id, chain: s.chain, status: s.status, created_at: s.created_at, updated_at: s.updated_at };
          }),
        };
      case 'events': {
        const page = eventsSince(root, request.since, {
          ...(request.run_id ? { runId: request.run_id } : {}),
          limit: request.limit,
        });
        return { events: page.events.map(({ event, cursor }) => ({ ...event, cursor })), cursor: page.cursor };
      }
      case 'decide': {
        const stored = await decide(root, request.run_id, {
          step: request.step,
          option: request.option,
          by: request.by ?? options.defaultBy,
          note: request.note ?? null,
        });
        return { event: stored.event, file: stored.file };
      }
      case 'replay':
        return { event: (await replay(root, request.run_id, request.from)).event };
      case 'resume':
        return { event: (await resume(root, request.run_id)).event };
      case 'cancel':
        return { event: (await cancel(root, request.run_id)).event };
      case 'subscribe': {
        const id = `s${nextSubscription++}`;
        // Validate the cursor now, so a bad one is refused instead of failing every push.
        parseCursor(request.since);
        subscriptions.set(id, { id, cursor: request.since, runId: request.run_id });
        ensureWatching();
        setImmediate(pump);
        return { subscription: id };
      }
      case 'unsubscribe':
        if (!subscriptions.delete(request.subscription)) throw new AppError('not_found', 'no such subscription');
        return { ok: true };
      case 'terminal': {
        if (follows.has(request.stream)) throw new AppError('conflict', `terminal stream ${request.stream} is open`);
        if (follows.size >= MAX_TERMINAL_FOLLOWS) throw new AppError('conflict', 'too many terminal streams open');
        const follow = await TerminalFollow.open(root, {
          stream: request.stream,
          runId: request.run_id,
          step: request.step,
          ...(request.attempt ? { attempt: request.attempt } : {}),
          tailBytes: request.tail_bytes,
        });
        follows.set(request.stream, follow);
        // After this answer is written (it is sent when this handler returns, before any timer fires): the client
        // learns where the replay starts before the first chunk.
        setImmediate(() => {
          void follow.run(terminalSink(request.stream)).finally(() => follows.delete(request.stream));
        });
        return follow.opened;
      }
      case 'terminal_stop':
        // Stopping a stream that already ended is not an error: the two cross on the wire.
        follows.get(request.stream)?.stop();
        return { ok: true };
    }
  };

  send({ v: PROTOCOL_VERSION, type: 'hello', protocol: PROTOCOL_VERSION, version: RUNTIME_VERSION, root });
  const lines = createInterface({ input: options.input, crlfDelay: Number.POSITIVE_INFINITY });
  // Requests take effect in order (a `decide` right after a `run` sees the run), with one exception: consecutive
  // `run` requests (a burst from the control plane) are created concurrently. Each writes only its own new run
  // directory, and their `created` events' fsyncs then overlap in the thread pool instead of each waiting for the
  // disk flush of the one before (one at a time, a burst was accepted at ~64 runs/s). Answers leave in request order.
  /** Settles once every request before the current burst of runs has taken effect. */
  let settled: Promise<unknown> = Promise.resolve();
  /** The runs of the current burst (started after `settled`, concurrently with each other). */
  let burst: Promise<unknown>[] = [];
  /** The last answer sent: each answer waits for the one before it. */
  let answered: Promise<void> = Promise.resolve();
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    const request = parseRequest(line);
    let result: Promise<unknown>;
    if (!request.ok) {
      result = Promise.reject(request.error);
    } else if (request.value.op === 'run') {
      const run = request.value;
      result = settled.then(() => handle(run));
      burst.push(result.catch(() => undefined));
    } else {
      const value = request.value;
      result = Promise.all([settled, ...burst]).then(() => handle(value));
      burst = [];
      settled = result.catch(() => undefined);
    }
    const id = request.id;
    const answer = result.then(
      (body): ProtocolServerMessage => ({
        v: PROTOCOL_VERSION,
        type: 'response',
        id: id as string | number,
        ok: true,
        result: body,
      }),
      (error: unknown): ProtocolServerMessage => {
        const body = errorJson(error);
        const code = (error as { protocolCode?: string }).protocolCode ?? body.code;
        return { v: PROTOCOL_VERSION, type: 'response', id, ok: false, error: { ...body, code } };
      },
    );
    answered = answered.then(async () => send(await answer));
  });
  return new Promise((resolve) => {
    lines.on('close', () => {
      closing = true;
      for (const follow of follows.values()) follow.stop();
      void answered.then(() => {
        watcher?.close();
        if (poll) clearInterval(poll);
        resolve();
      });
    });
  });
}

/** One request line checked (JSON, protocol version, schema); `id` is echoed in the answer even when it is refused. */
function parseRequest(
  line: string,
): { ok: true; id: string | number; value: ProtocolRequest } | { ok: false; id: string | number | null; error: Error } {
  let id: string | number | null = null;
  try {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new AppError('invalid_json', 'request is not valid JSON');
    }
    const rawId = (json as { id?: unknown })?.id;
    if (typeof rawId === 'string' || typeof rawId === 'number') id = rawId;
    const v = (json as { v?: unknown })?.v;
    if (v !== PROTOCOL_VERSION) {
      throw Object.assign(
        new AppError('bad_request', `protocol version ${String(v)} is not supported (this is ${PROTOCOL_VERSION})`),
        { protocolCode: 'unsupported_version' },
      );
    }
    const parsed = ProtocolRequestSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AppError(
        'validation_failed',
        `invalid request: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
      );
    }
    return { ok: true, id: parsed.data.id, value: parsed.data };
  } catch (error) {
    return { ok: false, id, error: error as Error };
  }
}
