import { createHash } from 'node:crypto';
import type { SignupBody, SignupReply } from '@paddock/contracts';
import type { Vault } from '@paddock/vault';

export const SIGNUP_SCOPE = 'signup';

/** How long a signup can be replayed (and its API key shown again); after that the key is only a retry handle. */
export const SIGNUP_REPLAY_TTL_MS = 24 * 3600 * 1000;

/** sha256 of the normalized body: "A@X.com" and "a@x.com" are the same signup, a different plan is not. */
export function signupRequestHash(body: SignupBody): string {
  const canonical = JSON.stringify([body.email, body.workspaceName, body.plan]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/** The stored answer: everything but the API key, which is kept apart as vault ciphertext. */
export type StoredSignupReply = Omit<SignupReply, 'apiKey'> & { apiKey: Omit<SignupReply['apiKey'], 'key'> };

// Bound to the record's scope, key and request: ciphertext copied to another record fails to decrypt.
function secretsContext(idempotencyKey: string, requestHash: string): string {
  return `idempotency:${SIGNUP_SCOPE}:${idempotencyKey}:${requestHash}`;
}

export function sealSignupReply(vault: Vault, idempotencyKey: string, requestHash: string, reply: SignupReply) {
  const { key, ...apiKey } = reply.apiKey;
  const stored: StoredSignupReply = { ...reply, apiKey };
  return {
    responseBody: stored,
    responseSecretsEncrypted: vault.encrypt(
      JSON.stringify({ apiKey: key }),
      secretsContext(idempotencyKey, requestHash),
    ),
  };
}

export function openSignupReply(
  vault: Vault,
  idempotencyKey: string,
  requestHash: string,
  record: { responseBody: unknown; responseSecretsEncrypted: string | null },
): SignupReply {
  if (!record.responseSecretsEncrypted) throw new Error('stored signup answer has no sealed API key');
  const secrets = JSON.parse(
    vault.decrypt(record.responseSecretsEncrypted, secretsContext(idempotencyKey, requestHash)),
  ) as { apiKey: string };
  const stored = record.responseBody as StoredSignupReply;
  return { ...stored, apiKey: { ...stored.apiKey, key: secrets.apiKey } };
}
