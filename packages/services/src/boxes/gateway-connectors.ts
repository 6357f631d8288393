import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { AppError } from '@paddock/contracts';
import {
  type BoxTarget,
  DEFAULT_BOX_LAYOUT,
  layoutPaths,
  type OpenTransport,
  type RemoteProcess,
  type ShellCommand,
  type SshConnection,
  type SshPool,
  sh,
  sshTransport,
} from '@paddock/fleet';
import type { BoxFile, GatewayConnector } from './connector-contract';

export interface SshGatewayConnectorOptions {
  ssh: SshPool;
  target: (boxId: string) => Promise<BoxTarget>;
  /** Starts `chainctl serve --stdio` on a box, built with the fleet's quoting helper. */
  serveCommand: ShellCommand;
  /** The box's `paddock-service` (it reads step outputs as the runtime user). Default: the default layout's. */
  servicePath?: string;
  /** Longest wait for the first line of a step output read (its size). Default 10 s. */
  statTimeoutMs?: number;
}

/** The first line `paddock-service output` writes: the size, or why there is nothing to read. */
const MISSING = new Set(['missing', 'unreadable']);
const HEADER_LIMIT = 64;

/**
 * Boxes over their pooled SSH connection: the serve channel is one exec that stays open. A step output is one exec of
 * `paddock-service output RUN STEP MAXBYTES [ATTEMPT]`, which drops to the runtime user before it opens the file: the SSH login
 * is root, and the runtime user (any agent) owns the run directories, so reading as root would serve whatever a
 * symlink put there points at (/etc/shadow, the host key).
 */
export function sshGatewayConnector(options: SshGatewayConnectorOptions): GatewayConnector {
  const service = options.servicePath ?? layoutPaths(DEFAULT_BOX_LAYOUT).service;
  return {
    transport: (boxId) => sshTransport(options.ssh, () => options.target(boxId), options.serveCommand),
    async readFile(boxId, output, maxBytes) {
      const target = await options.target(boxId);
      const command =
        output.attempt === undefined
          ? sh`${service} output ${output.runId} ${output.step} ${String(maxBytes)}`
          : sh`${service} output ${output.runId} ${output.step} ${String(maxBytes)} ${String(output.attempt)}`;
      const connection = await options.ssh.connect(target);
      try {
        return await readOutput(connection, command, options.statTimeoutMs ?? 10_000);
      } catch (error) {
        // The pool hands out its open connection until it sees the link go, which can be after the box dropped it
        // (the box's sshd processes still dying, the close not read yet): the read then fails only because it took
        // that connection. It is asked once more, on the fresh connection the pool now dials; a read does nothing
        // on the box, so repeating it is safe. A failure on a connection that is still up is the box's answer.
        if (connection.alive) throw error;
        return readOutput(await options.ssh.connect(target), command, options.statTimeoutMs ?? 10_000);
      }
    },
  };
}

/** One `paddock-service output` exec: undefined when the step has no readable output, else its size and stream. */
async function readOutput(
  connection: SshConnection,
  command: ShellCommand,
  statTimeoutMs: number,
): Promise<BoxFile | undefined> {
  const remote = await connection.spawn(command);
  let header: string;
  try {
    header = await readHeaderLine(remote, statTimeoutMs);
  } catch (error) {
    remote.close();
    throw error;
  }
  if (MISSING.has(header)) {
    remote.close();
    return undefined;
  }
  if (!/^\d{1,15}$/.test(header)) {
    remote.close();
    throw new AppError('box_unavailable', `The workspace's box answered a step output read with nonsense.`);
  }
  return { size: Number(header), stream: remote.channel };
}

/**
 * Reads up to the first newline of the remote's stdout and puts back whatever came after it, so the stream handed on
 * starts at the file's first byte.
 */
function readHeaderLine(remote: RemoteProcess, timeoutMs: number): Promise<string> {
  const stream = remote.channel;
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(
      () => finish(new AppError('box_unavailable', `The workspace's box did not start reading the step output.`)),
      timeoutMs,
    );
    const finish = (outcome: string | Error, rest?: Buffer) => {
      clearTimeout(timer);
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      if (typeof outcome !== 'string') return reject(outcome);
      if (rest && rest.length > 0) stream.unshift(rest);
      resolve(outcome);
    };
    const onReadable = () => {
      for (let chunk = stream.read() as Buffer | null; chunk !== null; chunk = stream.read() as Buffer | null) {
        buffered = Buffer.concat([buffered, chunk]);
        const newline = buffered.indexOf(10);
        if (newline >= 0) return finish(buffered.subarray(0, newline).toString('utf8'), buffered.subarray(newline + 1));
        if (buffered.length > HEADER_LIMIT) {
          return finish(
            new AppError('box_unavailable', `The workspace's box answered a step output read with nonsense.`),
          );
        }
      }
    };
    const onEnd = () => {
      // No first line: the names were refused (exit 2), or the box's service script predates `output`.
      const tail = remote.stderrTail();
      const outdated = /usage: paddock-service/.test(tail);
      finish(
        new AppError(
          'box_unavailable',
          outdated
            ? `The workspace's box cannot serve step outputs yet: its paddock-service predates them (bootstrap it again).`
            : `The workspace's box could not read the step output.`,
          { cause: new Error(tail.trim().slice(-300)) },
        ),
      );
    };
    stream.on('readable', onReadable);
    stream.once('end', onEnd);
    stream.once('close', onEnd);
  });
}

/**
 * Boxes whose runtime runs on this machine as the same user (tests, benchmarks, a single-host install). The file is
 * opened without following a symlink and must be a regular file, the same rule the SSH connector's box script keeps.
 */
export function localGatewayConnector(transport: (boxId: string) => OpenTransport): GatewayConnector {
  return {
    transport,
    async readFile(_boxId, output, maxBytes) {
      const step = `${await output.root()}/runs/${output.runId}/steps/${output.step}`;
      const path = output.attempt === undefined ? `${step}/output` : `${step}/attempts/${output.attempt}/output`;
      let handle: FileHandle;
      try {
        // O_NONBLOCK: a FIFO put in the file's place must not hang the open.
        handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      } catch {
        return undefined;
      }
      const info = await handle.stat().catch(() => undefined);
      if (!info?.isFile()) {
        await handle.close();
        return undefined;
      }
      if (maxBytes === 0) {
        await handle.close();
        return { size: info.size, stream: Readable.from([]) };
      }
      return { size: info.size, stream: handle.createReadStream({ start: 0, end: maxBytes - 1 }) };
    },
  };
}
