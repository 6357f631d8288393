import type { Logger } from 'pino';

interface Closer {
  name: string;
  close: () => Promise<unknown>;
}

/**
 * Closes what a process opened, in the reverse order it was registered (stop taking work first, then drop the
 * connections that work used), under one deadline so a hung close cannot keep a process alive forever.
 */
export class Shutdown {
  private readonly closers: Closer[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly deadlineMs: number,
  ) {}

  register(name: string, close: () => Promise<unknown>): void {
    this.closers.push({ name, close });
  }

  run(reason: string): Promise<void> {
    this.running ??= this.closeAll(reason);
    return this.running;
  }

  /** Runs `run()` on SIGINT/SIGTERM, then exits: 0 when everything closed in time, 1 otherwise. */
  onSignals(): void {
    const handler = (signal: NodeJS.Signals) => {
      this.run(signal).then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', handler);
    process.once('SIGTERM', handler);
  }

  private async closeAll(reason: string): Promise<void> {
    this.logger.info({ reason }, 'shutting down');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`shutdown deadline of ${this.deadlineMs} ms passed`)), this.deadlineMs);
    });
    try {
      await Promise.race([this.closeInOrder(), deadline]);
      this.logger.info('shut down cleanly');
    } catch (error) {
      this.logger.error({ err: error }, 'shutdown did not complete');
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private async closeInOrder(): Promise<void> {
    const failures: unknown[] = [];
    for (const closer of [...this.closers].reverse()) {
      try {
        await closer.close();
      } catch (error) {
        // One failed close must not leave the later connections open: go on, and fail the whole run at the end.
        failures.push(new Error(`closing ${closer.name} failed`, { cause: error }));
      }
    }
    if (failures.length > 0) throw new AggregateError(failures, `${failures.length} closer(s) failed`);
  }
}
