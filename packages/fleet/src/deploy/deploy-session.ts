import { OutputTail } from '../output-tail';
import type { DeployStep, FleetEvent, FleetRecorder } from '../recorder';
import { LineReader } from '../line-reader';

type StepStatus = Extract<FleetEvent, { type: 'deploy.step' }>['status'];

const STEPS = new Set<DeployStep>([
  'lock',
  'inspect',
  'upload',
  'verify',
  'assemble',
  'activate',
  'restart',
  'health',
  'rollback',
  'prune',
]);
const LOG_TAIL_BYTES = 16 * 1024;
/** A remote script's output line longer than this is logged cut (our scripts print short lines). */
const SCRIPT_LINE_BYTES = 64 * 1024;

/**
 * The record-keeping of one deploy (or rollback) on one box: step events to the recorder in order, every output
 * line to the live log callback, and a bounded log tail for the deploy row.
 */
export class DeploySession {
  readonly log = new OutputTail(LOG_TAIL_BYTES);
  readonly seen = new Map<DeployStep, StepStatus>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly deployId: string,
    readonly boxId: string,
    private readonly recorder: FleetRecorder,
    private readonly onLog?: (line: string) => void,
  ) {}

  /** Records a step; awaited in order so rows are written in the order things happened. */
  step(step: DeployStep, status: StepStatus, detail?: string): Promise<void> {
    this.seen.set(step, status);
    this.line(`@@step ${step} ${status}${detail ? ` ${detail}` : ''}`);
    const event: FleetEvent = { type: 'deploy.step', deployId: this.deployId, boxId: this.boxId, step, status };
    if (detail) event.detail = detail;
    this.chain = this.chain.then(() => this.recorder.record(event));
    return this.chain;
  }

  record(event: FleetEvent): Promise<void> {
    this.chain = this.chain.then(() => this.recorder.record(event));
    return this.chain;
  }

  /** A splitter for a remote script's output: `@@step` markers become step records, all lines go to the log. */
  scriptOutput(): LineReader {
    return new LineReader(
      (line) => {
        const marker = /^@@step (\S+) (started|ok|failed|skipped)(?: (.*))?$/.exec(line);
        if (marker && STEPS.has(marker[1] as DeployStep)) {
          const status = marker[2] === 'ok' ? 'succeeded' : (marker[2] as StepStatus);
          void this.step(marker[1] as DeployStep, status, marker[3]);
        } else this.line(line);
      },
      SCRIPT_LINE_BYTES,
      (oversize) => this.line(`${oversize.head.slice(0, 200)}... (a line of ${oversize.bytes} bytes, cut)`),
      true,
    );
  }

  line(text: string): void {
    this.log.push(Buffer.from(`${text}\n`));
    this.onLog?.(text);
  }

  /** Waits until every record so far is written. */
  flush(): Promise<void> {
    return this.chain;
  }
}
