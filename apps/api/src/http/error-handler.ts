import { isAppError } from '@paddock/contracts';
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { unavailableDependency } from './dependency-unavailable';
import { sendError } from './error-body';

/** Seconds a client waits before retrying while PostgreSQL or Redis is unavailable (a restart takes a few). */
const DEPENDENCY_RETRY_AFTER_SECONDS = 2;

// fastify's own failures while reading a request, by their error code, mapped onto ours.
const FASTIFY_CODES: Record<
  string,
  { code: 'invalid_json' | 'payload_too_large' | 'unsupported_media_type' | 'bad_request'; message: string }
> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'invalid_json', message: 'The request body is not valid JSON.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'invalid_json', message: 'The request body is empty but declared as JSON.' },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: 'payload_too_large',
    message: 'The request body is larger than this API accepts.',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'unsupported_media_type',
    message: 'This content type is not accepted; send application/json.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'bad_request',
    message: 'The Content-Length header does not match the body.',
  },
};

/** The one place where errors become HTTP answers: `{ error: { code, message, details?, requestId } }`. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const details = error.validation.map((issue) => ({
        path: [error.validationContext, ...issueSegments(issue.instancePath)].filter(Boolean).join('.'),
        message: issue.message ?? 'invalid value',
      }));
      return sendError(
        request,
        reply,
        'validation_failed',
        `The request ${error.validationContext ?? 'input'} is invalid.`,
        details,
      );
    }
    if (isAppError(error)) {
      if (error.status >= 500) request.log.error({ err: error }, error.message);
      // Every 503 is "try again shortly": say when, unless the code's own path already did (rate limits, overload).
      if (error.status === 503 && !reply.hasHeader('retry-after'))
        reply.header('retry-after', DEPENDENCY_RETRY_AFTER_SECONDS);
      return sendError(request, reply, error.code, error.message, error.details);
    }
    const known = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (known) return sendError(request, reply, known.code, known.message);
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      return sendError(request, reply, 'bad_request', 'The request could not be read.');
    }
    const dependency = unavailableDependency(error);
    if (dependency) {
      // Not a bug: logged without the stack, answered as "come back shortly".
      request.log.warn({ err: { message: error.message, code: error.code } }, `${dependency} unavailable`);
      reply.header('retry-after', DEPENDENCY_RETRY_AFTER_SECONDS);
      return dependency === 'database'
        ? sendError(
            request,
            reply,
            'database_unavailable',
            'The database is unavailable for a moment. Try again shortly.',
          )
        : sendError(
            request,
            reply,
            'redis_unavailable',
            'The job queue is unavailable for a moment. Try again shortly.',
          );
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error, issues: error.cause.issues }, 'response did not match its schema');
    } else {
      request.log.error({ err: error }, 'unhandled error');
    }
    return sendError(
      request,
      reply,
      'internal',
      `Something went wrong on our side; quote request id ${request.id} when reporting it.`,
    );
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(request, reply, 'route_not_found', `No route ${request.method} ${request.url.split('?')[0]}.`),
  );
}

function issueSegments(instancePath: string | undefined): string[] {
  return (instancePath ?? '').split('/').filter(Boolean);
}
