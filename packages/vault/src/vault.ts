import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppError } from '@paddock/contracts';
import type { Keyring } from './keyring';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encryption of secrets at rest (SSH private keys, tenant secrets): AES-256-GCM with a fresh random IV per
 * message and the key id in the ciphertext, so keys can be rotated while old ciphertexts stay readable.
 *
 * Format: `v1:<keyId>:<base64url(iv | ciphertext | tag)>`. The header and an optional caller-chosen context
 * (e.g. `tenant_secret:<tenantId>:<name>`) are authenticated, so a ciphertext copied to another row, or with its
 * key id edited, fails to decrypt instead of yielding another tenant's secret.
 */
export class Vault {
  constructor(private readonly keyring: Keyring) {}

  get activeKeyId(): string {
    return this.keyring.activeKeyId;
  }

  encrypt(plaintext: string, context = ''): string {
    const keyId = this.keyring.activeKeyId;
    const key = this.keyring.keys.get(keyId);
    if (!key) throw new AppError('internal', `vault active key "${keyId}" is missing from the keyring`);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(associatedData(keyId, context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${VERSION}:${keyId}:${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
  }

  decrypt(ciphertext: string, context = ''): string {
    const { keyId, payload } = parse(ciphertext);
    const key = this.keyring.keys.get(keyId);
    if (!key) {
      throw new AppError('internal', `vault: ciphertext was written with key "${keyId}", which is not in the keyring`);
    }
    const decipher = createDecipheriv('aes-256-gcm', key, payload.subarray(0, IV_BYTES));
    decipher.setAAD(associatedData(keyId, context));
    decipher.setAuthTag(payload.subarray(payload.length - TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(payload.subarray(IV_BYTES, payload.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      // Never echo the ciphertext or anything derived from it.
      throw new AppError('internal', 'vault: ciphertext failed authentication (tampered, wrong key or wrong context)');
    }
  }

  /** The key id a ciphertext names (without decrypting it). */
  keyIdOf(ciphertext: string): string {
    return parse(ciphertext).keyId;
  }

  /** True when the ciphertext was written with another key than the active one: rotation should rewrite it. */
  needsReencryption(ciphertext: string): boolean {
    return this.keyIdOf(ciphertext) !== this.keyring.activeKeyId;
  }

  /** Decrypts with whichever key wrote it and encrypts again with the active key (for key rotation). */
  reencrypt(ciphertext: string, context = ''): string {
    return this.encrypt(this.decrypt(ciphertext, context), context);
  }
}

function associatedData(keyId: string, context: string): Buffer {
  return Buffer.from(`${VERSION}:${keyId}:${context}`, 'utf8');
}

function parse(ciphertext: string): { keyId: string; payload: Buffer } {
  const parts = ciphertext.split(':');
  const [version, keyId, encoded] = parts;
  if (parts.length !== 3 || version !== VERSION || !keyId || !encoded) {
    throw new AppError('internal', `vault: not a ${VERSION} ciphertext (expected ${VERSION}:<keyId>:<data>)`);
  }
  const payload = Buffer.from(encoded, 'base64url');
  if (payload.length < IV_BYTES + TAG_BYTES) throw new AppError('internal', 'vault: ciphertext is truncated');
  return { keyId, payload };
}
