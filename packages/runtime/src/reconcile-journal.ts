import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { RunEvent } from '@paddock/contracts';
import { appendJournal } from './event-store';
import { rootLayout } from './paths';

const TAIL_BYTES = 4 * 1024 * 1024;

/**
 * An event is renamed into .events/ and then listed in the journal; a writer killed between the two leaves an event
 * the box-wide cursor would never return. Writes to a run are serialized, so only the last event of a run can be in
 * that state: at start the daemon checks the last event of every run it resumes against the journal's tail, and
 * lists it if it is missing (and recent enough that the tail would show it).
 */
export class JournalReconciler {
  private readonly seen = new Set<string>();
  private oldest = '';

  constructor(private readonly root: string) {
    let fd: number;
    try {
      fd = openSync(rootLayout(root).journalFile, 'r');
    } catch {
      return;
    }
    try {
      const size = fstatSync(fd).size;
      const start = Math.max(0, size - TAIL_BYTES);
      const buffer = Buffer.alloc(size - start);
      readSync(fd, buffer, 0, buffer.length, start);
      const lines = buffer.toString('utf8').split('\n');
      if (start > 0) lines.shift(); // a partial first line
      for (const line of lines) {
        try {
          const entry = JSON.parse(line) as { run?: string; file?: string; ts?: string };
          if (typeof entry.run === 'string' && typeof entry.file === 'string') {
            this.seen.add(`${entry.run}/${entry.file}`);
            if (!this.oldest && typeof entry.ts === 'string') this.oldest = entry.ts;
          }
        } catch {
          // torn line
        }
      }
      if (start === 0) this.oldest = '';
    } finally {
      closeSync(fd);
    }
  }

  has(runId: string, file: string): boolean {
    return this.seen.has(`${runId}/${file}`);
  }

  /** Lists the run's last event in the journal if a crash kept it out; returns whether it did. */
  check(runId: string, last: { event: RunEvent; file: string } | undefined): boolean {
    if (!last || this.seen.has(`${runId}/${last.file}`)) return false;
    if (this.oldest && last.event.timestamp < this.oldest) return false; // older than the tail: cannot tell
    appendJournal(this.root, runId, last.file, last.event.timestamp, 'recovery');
    this.seen.add(`${runId}/${last.file}`);
    return true;
  }
}
