import {
  fstatSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { fsync as fsyncCb } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  eventFileName,
  parseEventFileName,
  type RunEvent,
  type RunEventInput,
  RunEventSchema,
} from '@paddock/contracts';
import { rootLayout, runLayout } from './paths';
import { withRunLock } from './run-lock';

const fsync = promisify(fsyncCb);

export type NewEvent = Omit<RunEventInput, 'run_id' | 'seq' | 'timestamp'>;

export interface StoredEvent {
  event: RunEvent;
  file: string;
}

export interface MalformedEvent {
  file: string;
  error: string;
}

export interface RunEvents {
  events: RunEvent[];
  files: string[];
  malformed: MalformedEvent[];
}

/** Highest seq among the event files of a run (0 for none). Malformed names are ignored, not fatal. */
export function lastSeq(eventsDir: string): number {
  let max = 0;
  for (const name of safeReaddir(eventsDir)) {
    const parsed = parseEventFileName(name);
    if (parsed && parsed.seq > max) max = parsed.seq;
  }
  return max;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * Reads every event of a run in seq order. A file that a person broke (bad JSON, wrong fields, a name that does not
 * match its content, a duplicated seq) is reported in `malformed` and skipped, so one bad edit never stops a run.
 */
export function readRunEvents(root: string, runId: string): RunEvents {
  const { eventsDir } = runLayout(root, runId);
  const entries: { name: string; seq: number; step: string; kind: string }[] = [];
  const malformed: MalformedEvent[] = [];
  for (const name of safeReaddir(eventsDir)) {
    if (name.startsWith('.')) continue;
    const parsed = parseEventFileName(name);
    if (!parsed) {
      malformed.push({ file: name, error: 'file name is not <seq>-<step>.<kind>.json' });
      continue;
    }
    entries.push({ name, ...parsed });
  }
  entries.sort((a, b) => a.seq - b.seq || a.name.localeCompare(b.name));
  const events: RunEvent[] = [];
  const files: string[] = [];
  const seen = new Set<number>();
  for (const entry of entries) {
    const result = parseEventFile(join(eventsDir, entry.name));
    if (!result.ok) {
      malformed.push({ file: entry.name, error: result.error });
      continue;
    }
    const event = result.event;
    if (event.seq !== entry.seq || event.step !== entry.step || event.kind !== entry.kind || event.run_id !== runId) {
      malformed.push({ file: entry.name, error: 'content (run_id, seq, step or kind) does not match the file name' });
      continue;
    }
    if (seen.has(event.seq)) {
      malformed.push({ file: entry.name, error: `duplicate seq ${event.seq}` });
      continue;
    }
    seen.add(event.seq);
    events.push(event);
    files.push(entry.name);
  }
  return { events, files, malformed };
}

export function parseEventFile(path: string): { ok: true; event: RunEvent } | { ok: false; error: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { ok: false, error: `unreadable: ${(error as NodeJS.ErrnoException).code ?? String(error)}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: 'not valid JSON' };
  }
  const parsed = RunEventSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: `invalid event: ${issue?.path.join('.') || '(root)'} ${issue?.message ?? ''}`.trim() };
  }
  return { ok: true, event: parsed.data };
}

export interface AppendOptions {
  /**
   * Runs under the run lock with the run's current events; returns the event to write, or throws to refuse (a second
   * decision, a decision after its deadline). Without it the event is written as given.
   */
  decide?: (current: RunEvents) => NewEvent;
  /** Skip fsync (tests of malformed input only; never used by the runtime itself). */
  noSync?: boolean;
  /** Recorded in the journal line so a daemon can tell its own events from everyone else's. */
  writer?: string;
}

/**
 * Appends one event atomically: written to `.tmp/` in the same run (same filesystem), fsynced, then renamed into
 * `.events/` under the next seq, so a reader sees either nothing or the whole event. Then one line is appended to the
 * box journal (the box-wide cursor of `chainctl events --since`).
 */
export async function appendEvent(
  root: string,
  runId: string,
  input: NewEvent | undefined,
  options: AppendOptions = {},
): Promise<StoredEvent> {
  const run = runLayout(root, runId);
  return withRunLock(run.lockFile, async () => {
    const next = options.decide ? options.decide(readRunEvents(root, runId)) : input;
    if (!next) throw new Error('appendEvent: no event given');
    const seq = lastSeq(run.eventsDir) + 1;
    const event = RunEventSchema.parse({ ...next, run_id: runId, seq, timestamp: new Date().toISOString() });
    const file = eventFileName(seq, event.step, event.kind);
    ensureRunDirs(run.tmpDir, run.eventsDir);
    const tmp = join(run.tmpDir, `${file}.${process.pid}.tmp`);
    const fd = openSync(tmp, 'w', 0o644);
    try {
      writeSync(fd, `${JSON.stringify(event)}\n`);
      // The fsync is the slow part (a disk flush); it runs off the event loop so a busy daemon keeps launching.
      if (!options.noSync) await fsync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(run.eventsDir, file));
    appendJournal(root, runId, file, event.timestamp, options.writer);
    return { event, file };
  });
}

const readyDirs = new Set<string>();

/** mkdir once per run and process: a daemon writes thousands of events and each mkdir is a syscall. */
export function ensureRunDirs(tmpDir: string, eventsDir: string): void {
  if (readyDirs.has(tmpDir)) return;
  mkdirSync(tmpDir, { recursive: true });
  mkdirSync(eventsDir, { recursive: true });
  if (readyDirs.size > 10_000) readyDirs.clear();
  readyDirs.add(tmpDir);
}

/** Synchronous variant for tests that build fixtures; same format, same journal. */
export function appendEventSync(root: string, runId: string, input: NewEvent): StoredEvent {
  const run = runLayout(root, runId);
  const seq = lastSeq(run.eventsDir) + 1;
  const event = RunEventSchema.parse({ ...input, run_id: runId, seq, timestamp: new Date().toISOString() });
  const file = eventFileName(seq, event.step, event.kind);
  mkdirSync(run.tmpDir, { recursive: true });
  mkdirSync(run.eventsDir, { recursive: true });
  const tmp = join(run.tmpDir, `${file}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', 0o644);
  writeSync(fd, `${JSON.stringify(event)}\n`);
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, join(run.eventsDir, file));
  appendJournal(root, runId, file, event.timestamp);
  return { event, file };
}

/**
 * One line per event, appended with O_APPEND (a single small write, so concurrent writers never interleave).
 * `w` (writer) lets the daemon skip the events it wrote itself when it follows the journal; `ts` tells a reader whether the
 * file under that name is still the event the line was written for (a replay can delete it and reuse the seq).
 */
export function appendJournal(root: string, runId: string, file: string, ts: string, writer = 'cli'): void {
  const line = JSON.stringify({ run: runId, file, ts, pid: process.pid, w: writer });
  writeSync(journalFd(rootLayout(root).journalFile), `${line}\n`);
}

/**
 * Several lines in one append (a group commit's batch of new runs): one write(2) with O_APPEND, so the lines land
 * together and never interleave with another writer's.
 */
export function appendJournalLines(
  root: string,
  entries: readonly { runId: string; file: string; ts: string }[],
  writer = 'cli',
): void {
  if (entries.length === 0) return;
  const text = entries
    .map(({ runId, file, ts }) => `${JSON.stringify({ run: runId, file, ts, pid: process.pid, w: writer })}\n`)
    .join('');
  writeSync(journalFd(rootLayout(root).journalFile), text);
}

const journalFds = new Map<string, number>();

/** The journal stays open (O_APPEND) per process; reopened if a person removed or replaced the file. */
function journalFd(path: string): number {
  const cached = journalFds.get(path);
  if (cached !== undefined) {
    try {
      if (fstatSync(cached).nlink > 0) return cached;
    } catch {
      // closed under us: reopen
    }
    journalFds.delete(path);
    try {
      closeSync(cached);
    } catch {
      // already closed
    }
  }
  const fd = openSync(path, 'a', 0o644);
  journalFds.set(path, fd);
  return fd;
}
