import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import ssh2 from 'ssh2';
import { FleetError } from './errors';
import { fingerprintOfPublicKey } from './host-key';

/**
 * An ed25519 key pair made by the control plane, one per box (login key) or per box host key (pre-seeded through
 * cloud-init). `privateKey` is OpenSSH PEM, unencrypted: the caller encrypts it before it is stored anywhere.
 */
export interface SshKeyPair {
  privateKey: string;
  /** `ssh-ed25519 AAAA... comment`, as authorized_keys and `*.pub` files hold it. */
  publicKey: string;
  /** `SHA256:...`, what host-key pinning compares. */
  fingerprint: string;
  /** `aa:bb:...` MD5, the format some cloud APIs (Hetzner) use to look keys up. */
  md5Fingerprint: string;
}

/**
 * Makes a key pair with Node's crypto and writes the OpenSSH formats itself. Not ssh2's generator: it drops a
 * leading zero byte of the public key (about one key in 256 comes out malformed, as measured here).
 */
export function generateSshKeyPair(comment: string): SshKeyPair {
  if (/[\r\n]/.test(comment)) throw new FleetError('invalid_input', 'An SSH key comment cannot span lines');
  const { privateKey } = generateKeyPairSync('ed25519');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d ?? '', 'base64url');
  return sshKeyPairFromSeed(seed, comment);
}

/** The key pair an ed25519 seed (32 bytes) determines. */
export function sshKeyPairFromSeed(seed: Buffer, comment: string): SshKeyPair {
  if (seed.length !== 32) throw new FleetError('invalid_input', 'An ed25519 seed is 32 bytes');
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const pub = Buffer.from(
    createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).export({ format: 'jwk' }).x ?? '',
    'base64url',
  );
  const publicBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);
  const check = randomBytes(4);
  const privateSection = Buffer.concat([
    check,
    check,
    sshString('ssh-ed25519'),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(comment),
  ]);
  const padding = Buffer.from(Array.from({ length: (8 - (privateSection.length % 8)) % 8 }, (_, i) => i + 1));
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(publicBlob),
    sshString(Buffer.concat([privateSection, padding])),
  ]);
  const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
  const privateKeyText = [
    '-----BEGIN OPENSSH PRIVATE KEY-----',
    ...lines,
    '-----END OPENSSH PRIVATE KEY-----',
    '',
  ].join('\n');
  const publicKey = `ssh-ed25519 ${publicBlob.toString('base64')}${comment ? ` ${comment}` : ''}`;
  return { privateKey: privateKeyText, publicKey, ...describePublicKey(publicKey) };
}

/** Reads a stored private key back (after the caller decrypted it) and derives the public parts. */
export function loadSshKeyPair(privateKey: string): SshKeyPair {
  const parsed = ssh2.utils.parseKey(privateKey);
  if (parsed instanceof Error) throw new FleetError('invalid_input', `Not a usable SSH private key: ${parsed.message}`);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key?.isPrivateKey()) throw new FleetError('invalid_input', 'Not an SSH private key');
  const publicKey = `${key.type} ${key.getPublicSSH().toString('base64')}${key.comment ? ` ${key.comment}` : ''}`;
  return { privateKey, publicKey, ...describePublicKey(publicKey) };
}

/** Both fingerprints of an `ssh-ed25519 AAAA... comment` line. */
export function describePublicKey(publicKey: string): { fingerprint: string; md5Fingerprint: string } {
  const parsed = ssh2.utils.parseKey(publicKey.trim());
  if (parsed instanceof Error || (Array.isArray(parsed) && parsed.length === 0)) {
    throw new FleetError('invalid_input', 'Not an OpenSSH public key line');
  }
  const blob = Buffer.from(publicKey.trim().split(/\s+/)[1] ?? '', 'base64');
  const md5 = createHash('md5').update(blob).digest('hex');
  return { fingerprint: fingerprintOfPublicKey(publicKey), md5Fingerprint: md5.match(/../g)?.join(':') ?? md5 };
}

function sshString(value: string | Buffer): Buffer {
  const data = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([uint32(data.length), data]);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
