import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SshKeyPair } from '@paddock/fleet';
import { ProviderError } from './box-provider';

const TEMPLATE = join(import.meta.dirname, '../../../infra/cloud-init/box-user-data.yaml');
const PRIVATE_KEY = /^-----BEGIN OPENSSH PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END OPENSSH PRIVATE KEY-----\n?$/;
const PUBLIC_KEY = /^ssh-ed25519 [A-Za-z0-9+/]+={0,2}$/;

/**
 * cloud-init user data that installs the pre-generated host key. The key text is checked against the OpenSSH
 * formats before it goes into YAML, so nothing in it can change the document's structure. The metadata service
 * shows user data to any local user, so this key is only trusted for the first contact: provisioning replaces it
 * with one made on the box (replace_host_key) before anything of the tenant's runs there.
 */
export function renderCloudInit(hostKey: SshKeyPair): string {
  const privateKey = hostKey.privateKey.replace(/\r\n/g, '\n');
  // The comment is dropped: it is free text, and sshd does not need it.
  const publicKey = hostKey.publicKey.split(' ').slice(0, 2).join(' ');
  if (!PRIVATE_KEY.test(privateKey) || !PUBLIC_KEY.test(publicKey)) {
    throw new ProviderError('invalid_input', 'The host key is not an OpenSSH ed25519 key pair');
  }
  const indented = privateKey
    .trimEnd()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
  return readFileSync(TEMPLATE, 'utf8')
    .replace('    __PADDOCK_HOST_KEY_PRIVATE__', indented)
    .replace('__PADDOCK_HOST_KEY_PUBLIC__', publicKey);
}
