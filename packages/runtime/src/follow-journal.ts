import { type FSWatcher, statSync, watch } from 'node:fs';
import { type JournalEntry, readJournal } from './journal';
import { rootLayout } from './paths';

/**
 * Follows the box journal with ONE inotify watch for the whole box (on the root directory, filtered to the journal's
 * name), plus a periodic read so a missed notification only delays a handoff, never loses it. Each new line is
 * handed to `onEntries` once.
 */
export class JournalFollower {
  private offset: number;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;

  constructor(
    private readonly root: string,
    private readonly onEntries: (entries: JournalEntry[]) => void,
    private readonly pollMs: number,
    startOffset?: number,
  ) {
    this.offset = startOffset ?? currentJournalSize(root);
  }

  start(): void {
    const { root, journalFile } = rootLayout(this.root);
    const name = journalFile.slice(root.length + 1);
    this.watcher = watch(root, (_event, file) => {
      if (file === null || file === name) this.schedule();
    });
    this.watcher.on('error', () => this.schedule());
    this.timer = setInterval(() => this.schedule(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
  }

  /** Coalesces a burst of notifications (one per appended line) into one read. */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.readNow();
    });
  }

  readNow(): void {
    for (;;) {
      const { entries, next } = readJournal(this.root, this.offset);
      const advanced = next !== this.offset;
      this.offset = next;
      if (entries.length > 0) this.onEntries(entries);
      if (!advanced) return;
    }
  }
}

export function currentJournalSize(root: string): number {
  try {
    return statSync(rootLayout(root).journalFile).size;
  } catch {
    return 0;
  }
}
