import { AppError } from '@paddock/contracts';

/** Key ids go into every ciphertext's header, so they must never contain its separator. */
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
export const KEY_BYTES = 32;
/** The id a bare key (no `id:` in front) gets: ciphertexts written with it keep naming it after a rotation. */
export const DEFAULT_KEY_ID = 'k1';

export interface Keyring {
  /** The key new ciphertexts are written with. */
  activeKeyId: string;
  /** Every key that may still be needed to read old ciphertexts, by id. */
  keys: ReadonlyMap<string, Buffer>;
}

export interface KeyringInput {
  activeKeyId: string;
  /** Key id -> 32 random bytes, base64. */
  keys: Record<string, string>;
}

function decodeKey(id: string, base64: string): Buffer {
  if (!KEY_ID.test(id)) {
    throw new AppError('bad_request', `vault key id "${id}" must be 1-32 characters of A-Z, a-z, 0-9, _ or -`);
  }
  const trimmed = base64.trim();
  const bytes = Buffer.from(trimmed, 'base64');
  // Buffer.from ignores junk, so check the round trip: a truncated or mistyped key must not be used.
  if (bytes.length !== KEY_BYTES || bytes.toString('base64').replace(/=+$/, '') !== trimmed.replace(/=+$/, '')) {
    throw new AppError(
      'bad_request',
      `vault key "${id}" must be ${KEY_BYTES} bytes in base64 (e.g. \`openssl rand -base64 32\`), got ${bytes.length} bytes`,
    );
  }
  return bytes;
}

export function createKeyring(input: KeyringInput): Keyring {
  const keys = new Map<string, Buffer>();
  for (const [id, base64] of Object.entries(input.keys)) keys.set(id, decodeKey(id, base64));
  if (!keys.has(input.activeKeyId)) {
    throw new AppError('bad_request', `vault active key "${input.activeKeyId}" is not among the keys given`);
  }
  return { activeKeyId: input.activeKeyId, keys };
}

/**
 * Reads a keyring from one config value: either a bare base64 key (id `k1`), or `id:base64,id:base64,...` where
 * the first entry is the active key and the rest are older keys kept to read what they encrypted.
 * Rotation: put a new key first, restart, re-encrypt (Vault.reencrypt), then drop the old key.
 */
export function parseKeyring(spec: string): Keyring {
  const entries = spec
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const [first] = entries;
  if (first === undefined)
    throw new AppError('bad_request', 'vault keyring is empty: give at least one 32-byte base64 key');
  if (entries.length === 1 && !first.includes(':')) {
    return createKeyring({ activeKeyId: DEFAULT_KEY_ID, keys: { [DEFAULT_KEY_ID]: first } });
  }
  const keys: Record<string, string> = {};
  for (const entry of entries) {
    const separator = entry.indexOf(':');
    if (separator <= 0) throw new AppError('bad_request', 'vault keyring entries must look like id:base64key');
    const id = entry.slice(0, separator);
    if (id in keys) throw new AppError('bad_request', `vault key id "${id}" appears twice in the keyring`);
    keys[id] = entry.slice(separator + 1);
  }
  return createKeyring({ activeKeyId: first.slice(0, first.indexOf(':')), keys });
}
