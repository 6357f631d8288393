import { ProtocolTerminalChunkSchema, ProtocolTerminalEndSchema, type ProtocolTerminalEnd } from '@paddock/contracts';

/** Where the pushes of one terminal stream go (see `BoxChannel.listenTerminal`). */
export interface TerminalListener {
  /** `data` is decoded and at most MAX_TERMINAL_CHUNK_BYTES long (the schema bounds its base64). */
  onChunk(offset: number, data: Buffer): void;
  onEnd(end: ProtocolTerminalEnd): void;
  /** A push naming this stream that does not match the protocol. */
  onInvalid(why: string): void;
}

/** A channel's terminal streams by name: each push line goes to its stream's listener, checked by the protocol. */
export class TerminalRoutes {
  private readonly listeners = new Map<string, TerminalListener>();

  listen(stream: string, listener: TerminalListener): void {
    this.listeners.set(stream, listener);
  }

  forget(stream: string): void {
    this.listeners.delete(stream);
  }

  /** A `terminal` or `terminal_end` line (parsed JSON, not yet checked). */
  route(json: unknown, type: 'terminal' | 'terminal_end'): void {
    const stream = (json as { stream?: unknown }).stream;
    const listener = typeof stream === 'string' ? this.listeners.get(stream) : undefined;
    if (!listener) return; // a stream stopped already (its last pushes cross the stop), or none of ours
    if (type === 'terminal') {
      const parsed = ProtocolTerminalChunkSchema.safeParse(json);
      if (parsed.success) listener.onChunk(parsed.data.offset, Buffer.from(parsed.data.data, 'base64'));
      else listener.onInvalid(`invalid terminal chunk: ${parsed.error.issues[0]?.message}`);
      return;
    }
    const parsed = ProtocolTerminalEndSchema.safeParse(json);
    if (parsed.success) listener.onEnd(parsed.data);
    else listener.onInvalid(`invalid terminal end: ${parsed.error.issues[0]?.message}`);
  }
}
