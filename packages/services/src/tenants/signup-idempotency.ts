import { createHash } from 'node:crypto';
import type { SignupBody, SignupReply } from '@paddock/contracts';
import type { ServiceClients } from '../clients';

export const SIGNUP_SCOPE = 'signup';

/** How long a signup can be replayed (and its API key shown again); after that the key is only a retry handle. */
export const SIGNUP_REPLAY_TTL_MS = 24 * 3600 * 1000;

/**
 * sha256 of the normalized body: "A@X.com" and "a@x.com" are the same signup, a different plan is not. A password
 * only adds that there is one: a fast hash of it here would be a cheap way to guess it. Whether a replay's password
 * is the first one is checked against the scrypt hash sealed with the answer (see openSignupReply).
 */
export function signupRequestHash(body: SignupBody): string {
  const fields: string[] = [body.email, body.workspaceName, body.plan];
  // Appended only when present, so hashes of signups without a password are what they were before passwords.
  if (body.password !== undefined) fields.push('password');
  const canonical = JSON.stringify(fields);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/**
 * The stored answer: everything but the API key, which is kept apart as vault ciphertext (with the scrypt hash of
 * the signup's password, if any: never the password itself).
 */
export type StoredSignupReply = Omit<SignupReply, 'apiKey'> & { apiKey: Omit<SignupReply['apiKey'], 'key'> };

// Bound to the record's scope, key and request: ciphertext copied to another record fails to decrypt.
export function secretsContext(idempotencyKey: string, requestHash: string): string {
  return `idempotency:${SIGNUP_SCOPE}:${idempotencyKey}:${requestHash}`;
}

interface SealedSecrets {
  apiKey: string;
  passwordHash?: string;
}

export function sealSignupReply(
  { vault }: Pick<ServiceClients, 'vault'>,
  idempotencyKey: string,
  requestHash: string,
  reply: SignupReply,
  passwordHash: string | null = null,
) {
  const { key, ...apiKey } = reply.apiKey;
  const stored: StoredSignupReply = { ...reply, apiKey };
  const secrets: SealedSecrets = passwordHash ? { apiKey: key, passwordHash } : { apiKey: key };
  return {
    responseBody: stored,
    responseSecretsEncrypted: vault.encrypt(JSON.stringify(secrets), secretsContext(idempotencyKey, requestHash)),
  };
}

export interface OpenedSignupReply {
  reply: SignupReply;
  /** The scrypt hash of the first request's password (a replay must present the same password), or null. */
  passwordHash: string | null;
}

export function openSignupReply(
  { vault }: Pick<ServiceClients, 'vault'>,
  idempotencyKey: string,
  requestHash: string,
  record: { responseBody: unknown; responseSecretsEncrypted: string | null },
): OpenedSignupReply {
  if (!record.responseSecretsEncrypted) throw new Error('stored signup answer has no sealed API key');
  const secrets = JSON.parse(
    vault.decrypt(record.responseSecretsEncrypted, secretsContext(idempotencyKey, requestHash)),
  ) as SealedSecrets;
  const stored = record.responseBody as StoredSignupReply;
  return {
    reply: { ...stored, apiKey: { ...stored.apiKey, key: secrets.apiKey } },
    passwordHash: secrets.passwordHash ?? null,
  };
}
