import { AppError, ERROR_CODES, type ErrorCode } from '@paddock/contracts';

/**
 * Why a box channel operation failed. `remote_error` is an `ok: false` answer of the runtime (its code is kept in
 * `remoteCode`: not_found, conflict, ...); every other failure is about the channel itself and worth retrying.
 */
export type BoxChannelFailure =
  | 'open_failed'
  | 'channel_closed'
  | 'timeout'
  | 'protocol_error'
  | 'unsupported_version'
  | 'remote_error';

export class BoxChannelError extends AppError {
  constructor(
    readonly failure: BoxChannelFailure,
    readonly boxId: string,
    message: string,
    readonly remoteCode?: string,
    options?: { cause?: unknown },
  ) {
    super(codeFor(failure, remoteCode), `Box ${boxId}: ${message}`, options);
    this.name = 'BoxChannelError';
  }

  /** Failures of the channel (not answers of the runtime): repeating the request on a fresh channel may work. */
  get retryable(): boolean {
    return this.failure !== 'remote_error' && this.failure !== 'unsupported_version';
  }
}

function codeFor(failure: BoxChannelFailure, remoteCode: string | undefined): ErrorCode {
  if (failure === 'remote_error' && remoteCode && Object.hasOwn(ERROR_CODES, remoteCode)) {
    return remoteCode as ErrorCode;
  }
  return failure === 'remote_error' ? 'unprocessable' : 'upstream_unavailable';
}
