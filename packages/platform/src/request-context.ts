import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The request id of the work in progress, carried across awaits: the API sets it for each request, the worker for
 * each job (from its job record), and what runs inside picks it up without threading it through every call:
 * `enqueueJob` writes it on the jobs a request enqueues, and the fleet's SSH layer passes it to the box as
 * PADDOCK_REQUEST_ID (paddock-service logs it there). So one signup can be followed from the API to the box's log.
 */
const storage = new AsyncLocalStorage<{ requestId: string }>();

/** What a request id may be: the API accepts an X-Request-Id of this shape, else makes a UUID. */
export const REQUEST_ID_PATTERN = /^[\w.-]{1,64}$/;

export function isRequestId(value: unknown): value is string {
  return typeof value === 'string' && REQUEST_ID_PATTERN.test(value);
}

/** Runs `work` with `requestId` as the current request id (a missing or malformed one: none). */
export function runWithRequestId<T>(requestId: string | null | undefined, work: () => T): T {
  return isRequestId(requestId) ? storage.run({ requestId }, work) : storage.exit(work);
}

/** The current request id, or undefined outside any request or job that has one. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}
