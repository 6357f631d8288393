export class JobTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`job did not finish within ${timeoutMs} ms`);
    this.name = 'JobTimeoutError';
  }
}

/** Runs `work` with an AbortSignal that fires at the deadline; the attempt fails then even if `work` ignores it. */
export async function runWithTimeout<T>(timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new JobTimeoutError(timeoutMs);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([work(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
