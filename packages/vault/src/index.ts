// @paddock/vault: secrets at rest (AES-256-GCM with a rotating keyring), password hashing, API keys and tokens.
// Key material always comes from the caller (the app's config); nothing here reads the environment.
import { type Keyring, type KeyringInput, createKeyring, parseKeyring } from './keyring';
import { Vault } from './vault';

export { createKeyring, DEFAULT_KEY_ID, type Keyring, type KeyringInput, parseKeyring } from './keyring';
export { DEFAULT_SCRYPT_COST, hashPassword, needsRehash, type ScryptCost, verifyPassword } from './passwords';
export {
  apiKeyPrefix,
  type GeneratedApiKey,
  type GeneratedSessionToken,
  generateApiKey,
  generatePassword,
  generateSessionToken,
  hashToken,
} from './tokens';
export { Vault } from './vault';

/** A vault from a keyring spec string (`base64key` or `id:base64,id:base64`) or an explicit keyring. */
export function createVault(keys: string | KeyringInput | Keyring): Vault {
  if (typeof keys === 'string') return new Vault(parseKeyring(keys));
  if (keys.keys instanceof Map) return new Vault(keys as Keyring);
  return new Vault(createKeyring(keys as KeyringInput));
}
