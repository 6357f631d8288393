import type { Readable } from 'node:stream';
import type { OpenTransport } from '@paddock/fleet';

// What a connector gives the BoxGateway. Its own file so the gateway and the connectors (gateway-connectors.ts) both
// depend on it and not on each other.

/** A file on a box: its size, and a stream of its first `maxBytes` bytes. */
export interface BoxFile {
  size: number;
  stream: Readable;
}

/** One step's output file on a box, named by validated run id and step name (never by a path from outside). */
export interface StepOutputRef {
  runId: string;
  step: string;
  /** One attempt's output (`steps/<step>/attempts/<n>/output`); without it, the step's usual path. */
  attempt?: number;
  /** The runtime's root as its serve channel says: asked only by connectors that build the path themselves. */
  root(): Promise<string>;
}

/** How the gateway reaches a box: its serve channel, and step outputs (read outside the channel: they can be big). */
export interface GatewayConnector {
  transport(boxId: string): OpenTransport;
  /**
   * A step's output, at most `maxBytes` of it. Undefined when the step has none: no file, or anything that is not a
   * regular file the runtime user may read (a symlink an agent put there is never followed).
   */
  readFile(boxId: string, output: StepOutputRef, maxBytes: number): Promise<BoxFile | undefined>;
}
