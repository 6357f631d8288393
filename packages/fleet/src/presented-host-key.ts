import ssh2 from 'ssh2';
import { FleetError } from './errors';
import { fingerprintOfKeyBlob } from './host-key';
import { type BoxTarget, describeTarget } from './ssh-options';

/**
 * The fingerprint of the ed25519 host key the box's sshd shows a brand-new connection. Nothing logs in: the key
 * exchange is abandoned at the host-key check, so no key of ours is offered to whoever answers.
 */
export function presentedHostKey(target: BoxTarget, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let presented: string | undefined;
    let settled = false;
    const finish = (error: Error | undefined) => {
      if (settled) return;
      settled = true;
      client.end();
      if (presented) resolve(presented);
      else
        reject(
          new FleetError(
            'connect_failed',
            `No host key from ${describeTarget(target)}: ${error?.message ?? 'closed'}`,
            {
              boxId: target.id,
              ...(error ? { cause: error } : {}),
            },
          ),
        );
    };
    client.on('error', (error) => finish(error));
    client.on('close', () => finish(undefined));
    client.connect({
      host: target.host,
      port: target.port,
      username: target.username,
      readyTimeout: timeoutMs,
      algorithms: { serverHostKey: ['ssh-ed25519'] },
      hostVerifier: (key: Buffer) => {
        presented = fingerprintOfKeyBlob(key);
        return false;
      },
    });
  });
}
