import { type BoxTarget, type ShellCommand, type SshPool, sh, sshTransport } from '@paddock/fleet';
import type { ClaimedBox } from './collector-leases';
import type { BoxConnector } from './collector';
import { parseSystemProbe } from './record-box-health';

export interface SshBoxConnectorOptions {
  ssh: SshPool;
  /** The box's address, login and keys; `loadBoxTarget` reads them from Postgres. */
  target: (boxId: string) => Promise<BoxTarget>;
  /** What starts the serve channel on a box, built with the fleet's quoting helper. */
  serveCommand: ShellCommand;
  /** The runtime's state directory on the box, whose disk is reported. */
  dataDir: string;
  /** Longest wait for the machine-figures probe. Default 10 s. */
  probeTimeoutMs?: number;
}

/** Boxes over SSH: the serve channel is one exec that stays open on the box's pooled connection. */
export function sshBoxConnector(options: SshBoxConnectorOptions): BoxConnector {
  const probeCommand = sh`cat /proc/loadavg; grep -E '^(MemTotal|MemAvailable):' /proc/meminfo; df -Pk ${options.dataDir}; printf 'inotify %s %s\n' "$(cat /proc/sys/fs/inotify/max_user_watches)" "$(cat /proc/sys/fs/inotify/max_user_instances)"`;
  return {
    transport: (box: ClaimedBox) => sshTransport(options.ssh, () => options.target(box.boxId), options.serveCommand),
    probe: async (box: ClaimedBox) => {
      const connection = await options.ssh.connect(await options.target(box.boxId));
      const result = await connection.exec(probeCommand, {
        timeoutMs: options.probeTimeoutMs ?? 10_000,
        okExitCodes: [0, 1, 2],
        label: 'collector machine probe',
      });
      return parseSystemProbe(result.stdout);
    },
  };
}
