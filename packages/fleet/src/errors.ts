import { AppError, type ErrorCode } from '@paddock/contracts';

/**
 * Why a fleet operation failed, finer than the HTTP-facing `code`: the service layer stores it on deploy rows and
 * alerts, and retry logic reads it (only `connection_lost` and `connect_failed` are worth retrying blindly).
 */
export type FleetFailure =
  | 'connect_failed'
  | 'connect_timeout'
  | 'connection_lost'
  | 'host_key_mismatch'
  | 'host_key_unknown'
  | 'auth_failed'
  | 'exec_failed'
  | 'exec_timeout'
  | 'deploy_locked'
  | 'not_bootstrapped'
  | 'upload_corrupt'
  | 'health_check_failed'
  | 'release_not_found'
  | 'invalid_input';

const CODE_FOR: Record<FleetFailure, ErrorCode> = {
  connect_failed: 'upstream_unavailable',
  connect_timeout: 'upstream_unavailable',
  connection_lost: 'upstream_unavailable',
  host_key_mismatch: 'box_host_key_changed',
  host_key_unknown: 'forbidden',
  auth_failed: 'forbidden',
  exec_failed: 'upstream_unavailable',
  exec_timeout: 'upstream_unavailable',
  deploy_locked: 'conflict',
  not_bootstrapped: 'unprocessable',
  upload_corrupt: 'upstream_unavailable',
  health_check_failed: 'unprocessable',
  release_not_found: 'not_found',
  invalid_input: 'bad_request',
};

export class FleetError extends AppError {
  readonly failure: FleetFailure;
  readonly boxId: string | undefined;

  constructor(failure: FleetFailure, message: string, options?: { boxId?: string; cause?: unknown }) {
    super(CODE_FOR[failure], message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FleetError';
    this.failure = failure;
    this.boxId = options?.boxId;
  }

  /** Whether doing the same thing again on a fresh connection may succeed. */
  get retriable(): boolean {
    return (
      this.failure === 'connection_lost' || this.failure === 'connect_failed' || this.failure === 'connect_timeout'
    );
  }
}

/** A remote command that ran and exited non-zero, or did not finish in time. Tails only: outputs can be huge. */
export class ExecError extends FleetError {
  readonly command: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdoutTail: string;
  readonly stderrTail: string;

  constructor(fields: {
    boxId: string;
    command: string;
    exitCode: number | null;
    signal?: string | null;
    stdoutTail: string;
    stderrTail: string;
    timedOut?: boolean;
  }) {
    const what = fields.timedOut
      ? 'timed out'
      : fields.exitCode === null
        ? `was killed by ${fields.signal ?? 'a signal'}`
        : `exited with ${fields.exitCode}`;
    const lastLine = lastNonEmptyLine(fields.stderrTail) ?? lastNonEmptyLine(fields.stdoutTail);
    super(
      fields.timedOut ? 'exec_timeout' : 'exec_failed',
      `Command on box ${fields.boxId} ${what}: ${summarize(fields.command)}${lastLine ? ` (${lastLine})` : ''}`,
      { boxId: fields.boxId },
    );
    this.name = 'ExecError';
    this.command = fields.command;
    this.exitCode = fields.exitCode;
    this.signal = fields.signal ?? null;
    this.stdoutTail = fields.stdoutTail;
    this.stderrTail = fields.stderrTail;
  }
}

function summarize(command: string): string {
  const firstLine = command.split('\n', 1)[0] ?? '';
  return firstLine.length > 160 ? `${firstLine.slice(0, 157)}...` : firstLine;
}

function lastNonEmptyLine(text: string): string | undefined {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const last = lines[lines.length - 1];
  return last === undefined ? undefined : last.length > 200 ? `${last.slice(0, 197)}...` : last;
}

export function isFleetError(error: unknown): error is FleetError {
  return error instanceof FleetError;
}
