import { NodeSSH } from 'node-ssh';
import type { ClientChannel } from 'ssh2';
import { FleetError } from './errors';
import { fingerprintOfKeyBlob, pinnedKeyMatches } from './host-key';
import type { FleetRecorder } from './recorder';
import { type BoxTarget, describeTarget, type SshTimeouts } from './ssh-options';

export interface OperatorShell {
  /** The interactive shell's stream: what the operator types goes in, the terminal's output comes out. */
  channel: ClientChannel;
  /** Ends the shell and its connection. Safe to call twice. */
  close(): void;
}

/**
 * An interactive login shell on a box for an operator, over a connection of its own (never the pool's: a person's
 * session must not share the lifetime of collectors and deploys), with node-ssh, whose `requestShell` does what is
 * needed here. The box's host key is checked against the pin before the control plane's key is offered, as for
 * every connection; a mismatch is recorded (the recorder opens the alert) and refused.
 */
export async function openOperatorShell(
  target: BoxTarget,
  options: { timeouts: SshTimeouts; recorder: FleetRecorder; cols?: number; rows?: number },
): Promise<OperatorShell> {
  if (target.hostKey.kind !== 'pinned') {
    throw new FleetError('host_key_unknown', `Box ${target.id} has no pinned host key: no operator shell`, {
      boxId: target.id,
    });
  }
  const policy = target.hostKey;
  let presented: string | undefined;
  const ssh = new NodeSSH();
  try {
    await ssh.connect({
      host: target.host,
      port: target.port,
      username: target.username,
      privateKey: target.privateKey,
      readyTimeout: options.timeouts.connectMs,
      keepaliveInterval: options.timeouts.keepaliveIntervalMs,
      keepaliveCountMax: options.timeouts.keepaliveCountMax,
      hostVerifier: (key: Buffer) => {
        presented = fingerprintOfKeyBlob(key);
        return pinnedKeyMatches(policy, presented);
      },
    });
  } catch (error) {
    ssh.dispose();
    if (presented !== undefined && !pinnedKeyMatches(policy, presented)) {
      await options.recorder.record({
        type: 'host_key.mismatch',
        boxId: target.id,
        address: describeTarget(target),
        expected: policy.fingerprint,
        presented,
      });
      throw new FleetError(
        'host_key_mismatch',
        `Box ${target.id} (${describeTarget(target)}) presented host key ${presented}, not the pinned ${policy.fingerprint}: connection refused`,
        { boxId: target.id, cause: error },
      );
    }
    throw new FleetError('connect_failed', `Could not open SSH to box ${target.id} (${describeTarget(target)})`, {
      boxId: target.id,
      cause: error,
    });
  }
  const channel = await ssh
    .requestShell({ term: 'xterm-256color', cols: options.cols ?? 80, rows: options.rows ?? 24 })
    .catch((error: unknown) => {
      ssh.dispose();
      throw new FleetError('exec_failed', `Box ${target.id} refused a shell`, { boxId: target.id, cause: error });
    });
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    channel.close();
    ssh.dispose();
  };
  channel.once('close', close);
  return { channel, close };
}
