import { reloadSshdCommand } from './bootstrap/reload-sshd';
import { FleetError } from './errors';
import { fingerprintOfPublicKey, sameFingerprint } from './host-key';
import { presentedHostKey } from './presented-host-key';
import { asRoot, type ShellCommand, sh } from './shell';
import { type BoxTarget, describeTarget } from './ssh-options';
import type { SshPool } from './ssh-pool';

// Where sshd reads its ed25519 host key on Debian and Ubuntu (and on test boxes). The next key is made beside it:
// /etc/ssh is root's, so nothing the runtime user does can place a link or a file there.
const LIVE = '/etc/ssh/ssh_host_ed25519_key';
const NEXT = `${LIVE}.paddock-next`;
const PUBLIC_KEY = /^ssh-ed25519 [A-Za-z0-9+/]+={0,2}$/;

export interface ReplaceHostKeyOptions {
  pool: SshPool;
  /** The box, pinned to the key it has now; `hostKey.next` is a replacement an earlier attempt recorded. */
  target: BoxTarget;
  /**
   * Stores the new key's fingerprint as pending, before the box presents it: a retry after the switch (but before
   * the re-pin) must know which key to accept. Called only when it differs from `hostKey.next`.
   */
  recordPending(fingerprint: string): Promise<void>;
  /** How long sshd may take to present the new key after its reload. Default 20 s. */
  reloadTimeoutMs?: number;
}

export interface HostKeyReplaced {
  previous: string;
  fingerprint: string;
  publicKey: string;
}

/**
 * Replaces the box's host key with one made on the box by root: the key the control plane seeded (through the
 * provider's user data, which the metadata service shows any local user) stops identifying the box. Over the
 * connection verified against the pin: make the next key (or find the one an earlier attempt made), hand its
 * fingerprint to `recordPending`, install it, remove every other host key, reload sshd, then watch a fresh
 * connection until sshd presents the new key. The caller pins the returned fingerprint. Safe to run again at any
 * point: the next key is reused until it is live, and a box already presenting the pending key is accepted.
 *
 * Only ed25519 is kept: the control plane asks for ed25519 first and compares fingerprints, so the other types
 * served no one, and each of them is one more private key that may have been exposed (images that ship keys,
 * cloud-init's own) which could impersonate the box to any client that accepts it.
 */
export async function replaceHostKey(options: ReplaceHostKeyOptions): Promise<HostKeyReplaced> {
  const { pool, target } = options;
  if (target.hostKey.kind !== 'pinned') {
    throw new FleetError('invalid_input', `Box ${target.id} has no pinned host key to replace`, { boxId: target.id });
  }
  const { fingerprint: previous, next: pending } = target.hostKey;
  const connection = await pool.connect(target);
  const run = (command: ShellCommand, label: string) =>
    connection.exec(asRoot(target.username, command), { label: `host key: ${label}` });

  const state = parseState((await run(readKeysCommand(), 'read')).stdout);
  let publicKey: string;
  if (state.next) publicKey = state.next;
  else if (pending && state.live && sameFingerprint(fingerprintOfPublicKey(state.live), pending))
    publicKey = state.live;
  else publicKey = checkPublicKey((await run(makeNextKeyCommand(), 'generate')).stdout, target.id);
  const fingerprint = fingerprintOfPublicKey(publicKey);
  if (!pending || !sameFingerprint(pending, fingerprint)) await options.recordPending(fingerprint);

  await run(activateCommand(publicKey), 'activate');
  await waitUntilPresented(pool, target, previous, fingerprint, options.reloadTimeoutMs ?? 20_000);
  return { previous, fingerprint, publicKey };
}

function readKeysCommand(): ShellCommand {
  return sh`for f in ${LIVE} ${NEXT}; do
  if [ -s "$f" ]; then printf '%s %s\\n' "$f" "$(ssh-keygen -y -f "$f" | cut -d' ' -f1,2)"; fi
done`;
}

function parseState(stdout: string): { live?: string; next?: string } {
  const state: { live?: string; next?: string } = {};
  for (const line of stdout.split('\n')) {
    const [path, ...key] = line.trim().split(' ');
    const value = key.join(' ');
    if (!PUBLIC_KEY.test(value)) continue;
    if (path === LIVE) state.live = value;
    if (path === NEXT) state.next = value;
  }
  return state;
}

// Written under a temporary name and renamed: a crash never leaves a half-written next key to be reused.
function makeNextKeyCommand(): ShellCommand {
  return sh`set -eu
umask 077
rm -f ${`${NEXT}.tmp`} ${`${NEXT}.tmp.pub`}
ssh-keygen -q -t ed25519 -N '' -C '' -f ${`${NEXT}.tmp`} </dev/null >/dev/null
mv -f ${`${NEXT}.tmp`} ${NEXT}
rm -f ${`${NEXT}.tmp.pub`}
ssh-keygen -y -f ${NEXT} | cut -d' ' -f1,2`;
}

/**
 * Installs the next key (only if it is the one recorded), removes the other host keys, checks sshd takes the new
 * configuration and reloads it. The rename replaces the old key's directory entry: its bytes leave /etc/ssh.
 */
function activateCommand(publicKey: string): ShellCommand {
  const blob = publicKey.split(' ')[1] ?? '';
  return sh`set -eu
umask 077
blob_of() { ssh-keygen -y -f "$1" 2>/dev/null | cut -d' ' -f2; }
if [ -s ${NEXT} ]; then
  if [ "$(blob_of ${NEXT})" != ${blob} ]; then echo 'the prepared host key is not the one recorded' >&2; exit 65; fi
elif [ "$(blob_of ${LIVE})" != ${blob} ]; then
  echo 'no prepared host key, and the live one is not the one recorded' >&2; exit 65
fi
if ! /usr/sbin/sshd -T | grep -qx ${`hostkey ${LIVE}`}; then
  echo ${`sshd does not read its host key from ${LIVE}`} >&2; exit 78
fi
for f in /etc/ssh/ssh_host_*_key /etc/ssh/ssh_host_*_key.pub; do
  case "$f" in ${LIVE} | ${`${LIVE}.pub`}) ;; *) rm -f "$f" ;; esac
done
if [ -s ${NEXT} ]; then mv -f ${NEXT} ${LIVE}; fi
ssh-keygen -y -f ${LIVE} > ${`${LIVE}.pub.tmp`}
chmod 644 ${`${LIVE}.pub.tmp`}
mv -f ${`${LIVE}.pub.tmp`} ${`${LIVE}.pub`}
/usr/sbin/sshd -t
${reloadSshdCommand()}`;
}

/**
 * sshd reloads asynchronously (a signal, then it re-executes itself): until then new connections still meet the old
 * key, or are refused while it starts listening again. Any third key is an impostor and fails at once.
 */
async function waitUntilPresented(
  pool: SshPool,
  target: BoxTarget,
  previous: string,
  fingerprint: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = 'nothing';
  for (;;) {
    const presented = await presentedHostKey(target, pool.timeouts.connectMs).catch((error: Error) => error);
    if (typeof presented === 'string') {
      if (sameFingerprint(presented, fingerprint)) return;
      if (!sameFingerprint(presented, previous)) {
        await pool.recorder.record({
          type: 'host_key.mismatch',
          boxId: target.id,
          address: describeTarget(target),
          expected: fingerprint,
          presented,
        });
        throw new FleetError(
          'host_key_mismatch',
          `Box ${target.id} presented host key ${presented} after its key was replaced by ${fingerprint}`,
          { boxId: target.id },
        );
      }
      seen = `the previous key ${previous}`;
    } else seen = presented.message;
    if (Date.now() > deadline) {
      throw new FleetError(
        'exec_failed',
        `sshd on box ${target.id} did not present its new host key ${fingerprint} within ${timeoutMs} ms (saw ${seen})`,
        { boxId: target.id },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function checkPublicKey(stdout: string, boxId: string): string {
  const line = stdout.trim();
  if (!PUBLIC_KEY.test(line)) {
    throw new FleetError('exec_failed', `Box ${boxId} did not print an ed25519 public key for its new host key`, {
      boxId,
    });
  }
  return line;
}
