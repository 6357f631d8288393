import { connect as connectTcp, type Socket } from 'node:net';
import ssh2 from 'ssh2';
import { FleetError } from './errors';
import { fingerprintOfKeyBlob, pinnedKeyMatches } from './host-key';
import type { FleetRecorder } from './recorder';
import { type BoxTarget, describeTarget, type SshTimeouts } from './ssh-options';

export interface OpenedClient {
  client: ssh2.Client;
  socket: Socket;
  /** The fingerprint the box presented and we accepted: equal to the pin, or learned by trust-on-first-use. */
  fingerprint: string;
}

// Ed25519 first: that is the key providers pre-seed and pin. Others stay allowed for bring-your-own hosts whose
// operator pinned an ECDSA or RSA key; the fingerprint comparison is what decides, whatever the type.
const HOST_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256'] as const;

/**
 * TCP connect, key exchange, host-key check, public-key auth, all within `timeouts.connectMs`. A presented key that
 * differs from the pin is refused before authentication (so our key is never offered to an impostor) and raised as
 * an alert through the recorder.
 */
export function openSshClient(
  target: BoxTarget,
  timeouts: SshTimeouts,
  recorder: FleetRecorder,
): Promise<OpenedClient> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    const socket = connectTcp({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    let settled = false;
    let presented: string | undefined;
    let refusal: FleetError | undefined;

    const fail = (error: FleetError) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      client.end();
      socket.destroy();
      reject(error);
    };
    const deadline = setTimeout(
      () =>
        fail(
          new FleetError(
            'connect_timeout',
            `No SSH session with ${describeTarget(target)} within ${timeouts.connectMs} ms`,
            {
              boxId: target.id,
            },
          ),
        ),
      timeouts.connectMs,
    );

    const verifyHostKey = (key: Buffer, verify: (ok: boolean) => void) => {
      presented = fingerprintOfKeyBlob(key);
      const policy = target.hostKey;
      if (policy.kind === 'pinned') {
        if (pinnedKeyMatches(policy, presented)) return verify(true);
        refusal = new FleetError(
          'host_key_mismatch',
          `Box ${target.id} (${describeTarget(target)}) presented host key ${presented}, not the pinned ${policy.fingerprint}: connection refused`,
          { boxId: target.id },
        );
        const event = {
          type: 'host_key.mismatch' as const,
          boxId: target.id,
          address: describeTarget(target),
          expected: policy.fingerprint,
          presented,
        };
        Promise.resolve()
          .then(() => recorder.record(event))
          .finally(() => verify(false))
          .catch(() => {});
        return;
      }
      // Trust on first use: the audit record must exist before we trust, so a failed write refuses the key.
      const event = {
        type: 'host_key.trusted_on_first_use' as const,
        boxId: target.id,
        address: describeTarget(target),
        fingerprint: presented,
      };
      Promise.resolve()
        .then(() => recorder.record(event))
        .then(
          () => verify(true),
          (cause: unknown) => {
            refusal = new FleetError(
              'host_key_unknown',
              `Could not record the first-use host key of box ${target.id}`,
              {
                boxId: target.id,
                cause,
              },
            );
            verify(false);
          },
        );
    };

    client.once('ready', () => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve({ client, socket, fingerprint: presented ?? '' });
    });
    client.on('error', (error: Error & { level?: string }) => fail(refusal ?? classifyConnectError(target, error)));
    socket.on('error', (error) => fail(classifyConnectError(target, error)));
    socket.once('connect', () => {
      client.connect({
        sock: socket,
        username: target.username,
        privateKey: target.privateKey,
        hostVerifier: verifyHostKey,
        keepaliveInterval: timeouts.keepaliveIntervalMs,
        keepaliveCountMax: timeouts.keepaliveCountMax,
        readyTimeout: timeouts.connectMs,
        algorithms: { serverHostKey: [...HOST_KEY_ALGORITHMS] },
      });
    });
  });
}

function classifyConnectError(target: BoxTarget, error: Error & { level?: string; code?: string }): FleetError {
  const where = `box ${target.id} (${describeTarget(target)})`;
  if (error.level === 'client-authentication') {
    return new FleetError('auth_failed', `The box key was not accepted by ${where}`, {
      boxId: target.id,
      cause: error,
    });
  }
  if (error.level === 'client-timeout') {
    return new FleetError('connect_timeout', `SSH handshake with ${where} timed out`, {
      boxId: target.id,
      cause: error,
    });
  }
  return new FleetError('connect_failed', `Could not open SSH to ${where}: ${error.message}`, {
    boxId: target.id,
    cause: error,
  });
}
