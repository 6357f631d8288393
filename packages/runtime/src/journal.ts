import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { AppError, type RunEvent } from '@paddock/contracts';
import { parseEventFile } from './event-store';
import { rootLayout, runLayout } from './paths';

/**
 * The box journal (`journal.jsonl`) lists every event file in the order it was written, box-wide. A cursor is a byte
 * offset into it, so `chainctl events --since CURSOR` returns each event exactly once per cursor however many runs
 * write at the same time, and reading costs only what is new.
 */
export interface JournalEntry {
  run: string;
  file: string;
  ts: string;
  pid: number;
  writer: string;
  /** Cursor just after this line. */
  cursor: string;
}

const CURSOR_PREFIX = 'j1:';
const READ_CHUNK = 1 << 20;

export function formatCursor(offset: number): string {
  return `${CURSOR_PREFIX}${offset}`;
}

export function parseCursor(cursor: string | undefined): number {
  if (cursor === undefined || cursor === '' || cursor === '0') return 0;
  const offset = cursor.startsWith(CURSOR_PREFIX) ? Number(cursor.slice(CURSOR_PREFIX.length)) : Number.NaN;
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new AppError(
      'bad_request',
      `invalid cursor ${JSON.stringify(cursor)} (expected a cursor printed by chainctl)`,
    );
  }
  return offset;
}

/** Reads complete journal lines from `offset` (at most `maxBytes`); a line still being written is left for later. */
export function readJournal(
  root: string,
  offset: number,
  maxBytes = 8 * READ_CHUNK,
): { entries: JournalEntry[]; next: number } {
  let fd: number;
  try {
    fd = openSync(rootLayout(root).journalFile, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], next: offset };
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    if (offset > size) throw new AppError('bad_request', 'cursor is past the end of the journal (was it reset?)');
    const length = Math.min(size - offset, maxBytes);
    const buffer = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const n = readSync(fd, buffer, read, length - read, offset + read);
      if (n === 0) break;
      read += n;
    }
    const entries: JournalEntry[] = [];
    let lineStart = 0;
    for (let i = 0; i < read; i++) {
      if (buffer[i] !== 0x0a) continue;
      const line = buffer.toString('utf8', lineStart, i);
      lineStart = i + 1;
      const entry = parseLine(line);
      if (entry) entries.push({ ...entry, cursor: formatCursor(offset + lineStart) });
    }
    return { entries, next: offset + lineStart };
  } finally {
    closeSync(fd);
  }
}

function parseLine(line: string): Omit<JournalEntry, 'cursor'> | undefined {
  try {
    const value = JSON.parse(line) as Partial<JournalEntry>;
    if (typeof value.run === 'string' && typeof value.file === 'string') {
      const writer = String((value as { w?: unknown }).w ?? '');
      return { run: value.run, file: value.file, ts: String(value.ts ?? ''), pid: Number(value.pid ?? 0), writer };
    }
  } catch {
    // A torn or hand-edited line: skipped like a malformed event file.
  }
  return undefined;
}

export interface CursorEvent {
  event: RunEvent;
  cursor: string;
}

/**
 * Events after `cursor`, box-wide or for one run. A journal line whose file is gone (replayed, deleted by hand) or now
 * holds a different event is skipped; a malformed file is reported through `onMalformed` and skipped.
 */
export function eventsSince(
  root: string,
  cursor: string | undefined,
  options: { runId?: string; limit?: number; onMalformed?: (run: string, file: string, error: string) => void } = {},
): { events: CursorEvent[]; cursor: string } {
  let offset = parseCursor(cursor);
  const events: CursorEvent[] = [];
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  for (;;) {
    const start = offset;
    const { entries, next } = readJournal(root, offset);
    for (const entry of entries) {
      offset = Number(entry.cursor.slice(CURSOR_PREFIX.length));
      if (options.runId !== undefined && entry.run !== options.runId) continue;
      let path: string;
      try {
        path = join(runLayout(root, entry.run).eventsDir, entry.file);
      } catch {
        continue;
      }
      const parsed = parseEventFile(path);
      if (!parsed.ok) {
        if (!parsed.error.startsWith('unreadable: ENOENT')) options.onMalformed?.(entry.run, entry.file, parsed.error);
        continue;
      }
      if (entry.ts && parsed.event.timestamp !== entry.ts) continue;
      events.push({ event: parsed.event, cursor: entry.cursor });
      if (events.length >= limit) return { events, cursor: entry.cursor };
    }
    offset = next;
    if (next === start) break;
  }
  return { events, cursor: formatCursor(offset) };
}
