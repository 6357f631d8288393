import type { ProtocolOp, ProtocolResponseSchema } from '@paddock/contracts';
import type { BoxChannelError } from './box-channel-error';
import { ProtocolResultSchemas } from './box-channel-results';

/** Makes the channel's error (it knows the box) from a failure kind, a message and the runtime's own code. */
export type ChannelErrorOf = (
  failure: BoxChannelError['failure'],
  message: string,
  remoteCode?: string,
) => BoxChannelError;

interface Pending {
  op: ProtocolOp;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * The requests of one BoxChannel awaiting their answers, matched by id, each with its own timeout. An answer is
 * checked against its op's result schema before the caller sees it; a late answer (after its timeout) is ignored.
 */
export class PendingRequests {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly errorOf: ChannelErrorOf) {}

  /** Registers a request and returns its id and the promise of its result; `timeoutMs` later it fails. */
  add(op: ProtocolOp, timeoutMs: number): { id: number; result: Promise<unknown> } {
    const id = this.nextId++;
    const result = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(this.errorOf('timeout', `no answer to ${op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { op, resolve, reject, timer });
    });
    return { id, result };
  }

  /** An answer line from the runtime: settles its request (a result that fails its schema is a protocol error). */
  answer(message: ReturnType<typeof ProtocolResponseSchema.parse>): void {
    if (typeof message.id !== 'number') return; // our ids are numbers; a null id answers a line we never sent
    const pending = this.take(message.id);
    if (!pending) return; // answered after its timeout
    if (!message.ok) {
      pending.reject(this.errorOf('remote_error', `${pending.op}: ${message.error.message}`, message.error.code));
      return;
    }
    const parsed = ProtocolResultSchemas[pending.op].safeParse(message.result);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      pending.reject(
        this.errorOf('protocol_error', `${pending.op} answer does not match the protocol: ${issue?.path.join('.')}`),
      );
      return;
    }
    pending.resolve(parsed.data);
  }

  /** The answer to request `id` was longer than the line limit (already discarded): it fails at once. */
  failOversize(id: number, bytes: number): boolean {
    const pending = this.take(id);
    if (!pending) return false;
    pending.reject(
      this.errorOf('protocol_error', `${pending.op} answer of ${bytes} bytes is longer than the line limit`),
    );
    return true;
  }

  /** The channel dropped: every request in flight fails with `error`. */
  rejectAll(error: Error): void {
    for (const id of [...this.pending.keys()]) this.take(id)?.reject(error);
  }

  private take(id: number): Pending | undefined {
    const pending = this.pending.get(id);
    if (!pending) return undefined;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    return pending;
  }
}
