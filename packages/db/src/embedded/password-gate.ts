import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { fatalError } from './wire-protocol';

// Password authentication for the embedded server. PGlite itself trusts every connection, and local test boxes
// share this machine's network, so without this any box could open the control plane's database on loopback.
//
// SCRAM-SHA-256 (RFC 5802 / 7677, PostgreSQL's default since 14) rather than MD5 or a cleartext password: the
// password never crosses the socket, a replayed exchange is useless (fresh nonces), and the client checks the
// server's signature too. node-postgres, Prisma's pg adapter and psql all speak it. Channel binding (-PLUS) needs TLS,
// which this loopback-only server does not offer.

const PROTOCOL_3 = 196_608;
const SASL_RESPONSE = 0x70; // 'p': SASLInitialResponse and SASLResponse
const MECHANISM = 'SCRAM-SHA-256';
const ITERATIONS = 4096;

/** The queue contract pglite-socket's handler calls (SessionMultiplexer implements it). */
export interface QueryQueue {
  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number>;
  clearQueueForHandler(handlerId: number): void;
  clearTransactionIfNeeded(handlerId: number): Promise<void>;
}

export interface PasswordGateOptions {
  user: string;
  password: string;
  /** The connection failed to authenticate: send it `refusal` (a FATAL ErrorResponse) and close it. */
  onRefused: (handlerId: number, refusal: Buffer) => void;
}

type Pending =
  | { step: 'initial'; startup: Uint8Array; user: string }
  | { step: 'final'; startup: Uint8Array; user: string; nonce: string; clientFirstBare: string; serverFirst: string };

function authMessage(code: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const message = Buffer.alloc(9 + data.length);
  message.write('R', 0);
  message.writeInt32BE(8 + data.length, 1);
  message.writeInt32BE(code, 5);
  data.copy(message, 9);
  return message;
}

const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();

/** `user` from a StartupMessage, or undefined when the message is not one. */
function startupUser(message: Uint8Array): string | undefined {
  const buffer = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  if (buffer.length < 8 || buffer.readInt32BE(4) !== PROTOCOL_3) return undefined;
  const fields = buffer.subarray(8).toString('utf8').split('\0');
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === 'user') return fields[i + 1];
  return undefined;
}

/** The payload of a 'p' message: for the initial response, after the mechanism name and the length. */
function saslPayload(message: Uint8Array, initial: boolean): { mechanism?: string; data: string } | undefined {
  const buffer = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  if (buffer.length < 5 || buffer[0] !== SASL_RESPONSE) return undefined;
  const body = buffer.subarray(5);
  if (!initial) return { data: body.toString('utf8') };
  const end = body.indexOf(0);
  if (end < 0 || body.length < end + 5) return undefined;
  const length = body.readInt32BE(end + 1);
  const data = body.subarray(end + 5);
  if (length !== data.length) return undefined;
  return { mechanism: body.subarray(0, end).toString('utf8'), data: data.toString('utf8') };
}

function attributes(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) map.set(part.slice(0, 1), part.slice(2));
  }
  return map;
}

/**
 * Stands in front of the session multiplexer: a connection's StartupMessage is held back until the client has
 * proved it knows the password through a SCRAM-SHA-256 exchange; only then does PGlite see it. Anything else
 * before that, a wrong proof or another user name ends the connection with 28P01, as PostgreSQL does.
 */
export class PasswordGate implements QueryQueue {
  private readonly authenticated = new Set<number>();
  private readonly pending = new Map<number, Pending>();
  /** Refused and on their way out: whatever else they already sent is dropped. */
  private readonly refused = new Set<number>();
  private readonly salt = randomBytes(16);
  private readonly storedKey: Buffer;
  private readonly serverKey: Buffer;

  constructor(
    private readonly inner: QueryQueue,
    private readonly options: PasswordGateOptions,
  ) {
    const salted = pbkdf2Sync(options.password.normalize('NFKC'), this.salt, ITERATIONS, 32, 'sha256');
    this.storedKey = createHash('sha256').update(hmac(salted, 'Client Key')).digest();
    this.serverKey = hmac(salted, 'Server Key');
  }

  async enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    if (this.authenticated.has(handlerId)) return this.inner.enqueue(handlerId, message, onData);
    if (this.refused.has(handlerId)) return 0;
    const state = this.pending.get(handlerId);
    if (!state) return this.start(handlerId, message, onData);
    if (state.step === 'initial') return this.first(handlerId, state, message, onData);
    return this.final(handlerId, state, message, onData);
  }

  /**
   * Ends a connection that has not authenticated by now (PostgreSQL's authentication_timeout): a client that stops
   * half way through, or never starts, must not hold one of the server's connection slots.
   */
  expire(handlerId: number): void {
    if (this.authenticated.has(handlerId) || this.refused.has(handlerId)) return;
    this.refuse(handlerId, '28000', 'authentication timed out');
  }

  clearQueueForHandler(handlerId: number): void {
    this.pending.delete(handlerId);
    this.inner.clearQueueForHandler(handlerId);
  }

  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    // Only an authenticated connection ever reached PGlite's session; the handler calls this once, on its way out.
    this.pending.delete(handlerId);
    this.refused.delete(handlerId);
    if (!this.authenticated.delete(handlerId)) return;
    await this.inner.clearTransactionIfNeeded(handlerId);
  }

  private start(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): number {
    const user = startupUser(message);
    if (user === undefined) return this.refuse(handlerId, '08P01', 'expected a startup message (protocol 3.0)');
    this.pending.set(handlerId, { step: 'initial', startup: message, user });
    const sasl = authMessage(10, Buffer.from(`${MECHANISM}\0\0`));
    onData(sasl);
    return sasl.length;
  }

  private first(
    handlerId: number,
    state: Extract<Pending, { step: 'initial' }>,
    message: Uint8Array,
    onData: (data: Uint8Array) => void,
  ): number {
    const payload = saslPayload(message, true);
    // Only "n,," (no channel binding): the client-first-message's GS2 header, then the bare message.
    if (payload?.mechanism !== MECHANISM || !payload.data.startsWith('n,,')) return this.refuseAuth(handlerId, state);
    const clientFirstBare = payload.data.slice(3);
    const clientNonce = attributes(clientFirstBare).get('r');
    if (!clientNonce) return this.refuseAuth(handlerId, state);
    const nonce = `${clientNonce}${randomBytes(18).toString('base64')}`;
    const serverFirst = `r=${nonce},s=${this.salt.toString('base64')},i=${ITERATIONS}`;
    this.pending.set(handlerId, { ...state, step: 'final', nonce, clientFirstBare, serverFirst });
    const reply = authMessage(11, Buffer.from(serverFirst));
    onData(reply);
    return reply.length;
  }

  private async final(
    handlerId: number,
    state: Extract<Pending, { step: 'final' }>,
    message: Uint8Array,
    onData: (data: Uint8Array) => void,
  ): Promise<number> {
    const payload = saslPayload(message, false);
    const proofAt = payload?.data.lastIndexOf(',p=') ?? -1;
    if (!payload || proofAt < 0) return this.refuseAuth(handlerId, state);
    const withoutProof = payload.data.slice(0, proofAt);
    const fields = attributes(withoutProof);
    const proof = Buffer.from(payload.data.slice(proofAt + 3), 'base64');
    const authText = `${state.clientFirstBare},${state.serverFirst},${withoutProof}`;
    const clientKey = Buffer.alloc(32);
    const signature = hmac(this.storedKey, authText);
    if (proof.length === 32) for (let i = 0; i < 32; i++) clientKey[i] = (proof[i] ?? 0) ^ (signature[i] ?? 0);
    const proved =
      proof.length === 32 &&
      timingSafeEqual(createHash('sha256').update(clientKey).digest(), this.storedKey) &&
      fields.get('c') === Buffer.from('n,,').toString('base64') &&
      fields.get('r') === state.nonce &&
      state.user === this.options.user;
    if (!proved) return this.refuseAuth(handlerId, state);
    this.pending.delete(handlerId);
    this.authenticated.add(handlerId);
    const done = authMessage(12, Buffer.from(`v=${hmac(this.serverKey, authText).toString('base64')}`));
    onData(done);
    // Now PGlite sees the startup message and answers AuthenticationOk, parameters and ReadyForQuery.
    return done.length + (await this.inner.enqueue(handlerId, state.startup, onData));
  }

  private refuseAuth(handlerId: number, state: Pending): number {
    return this.refuse(handlerId, '28P01', `password authentication failed for user "${state.user}"`);
  }

  private refuse(handlerId: number, sqlState: string, text: string): number {
    this.pending.delete(handlerId);
    this.refused.add(handlerId);
    this.options.onRefused(handlerId, fatalError(sqlState, text));
    return 0;
  }
}
