/** One Server-Sent Event as a client sees it. */
export interface SseEvent {
  event: string;
  id: string | undefined;
  data: string;
}

/**
 * Reads a `text/event-stream` response event by event: `next(match)` answers the first event (from where the last
 * call left off) that `match` accepts, or fails after `timeoutMs` naming what it waited for and what it saw.
 */
export class SseReader {
  private readonly events: SseEvent[] = [];
  private position = 0;
  private buffer = '';
  private ended = false;
  private wake: (() => void) | undefined;
  private readonly done: Promise<void>;

  constructor(response: Response) {
    if (!response.body) throw new Error('the response has no body');
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    this.done = (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          this.push(value);
        }
      } catch {
        // the test aborted the request
      } finally {
        this.ended = true;
        this.wake?.();
      }
    })();
  }

  async next(what: string, match: (event: SseEvent) => boolean, timeoutMs = 15_000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.position < this.events.length) {
        const event = this.events[this.position++] as SseEvent;
        if (match(event)) return event;
      }
      if (this.ended) throw new Error(`the stream ended before ${what}; it sent ${this.describe()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms; the stream sent ${this.describe()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** Every event received so far. */
  get received(): readonly SseEvent[] {
    return this.events;
  }

  finished(): Promise<void> {
    return this.done;
  }

  private push(text: string): void {
    this.buffer += text;
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end < 0) break;
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const event: SseEvent = { event: 'message', id: undefined, data: '' };
      const data: string[] = [];
      let fields = 0;
      for (const line of block.split('\n')) {
        if (line.startsWith(':') || line === '') continue;
        const colon = line.indexOf(':');
        const name = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (name === 'event') event.event = value;
        else if (name === 'id') event.id = value;
        else if (name === 'data') data.push(value);
        else continue;
        fields++;
      }
      if (fields === 0 || data.length === 0) continue; // comments and retry hints
      event.data = data.join('\n');
      this.events.push(event);
    }
    this.wake?.();
  }

  private describe(): string {
    return this.events.length === 0 ? 'nothing' : this.events.map((e) => e.event).join(', ');
  }
}
