import { type Logger, type LoggerOptions, pino } from 'pino';

/**
 * Anything that can hold a credential is redacted wherever it appears in a log line: request headers, bodies and
 * the fields our own code logs. A log line is never the place a secret leaks from.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.passwordHash',
  '*.secret',
  '*.secrets',
  '*.value',
  '*.token',
  '*.apiKey',
  '*.privateKey',
  '*.key',
  'password',
  'secret',
  'token',
  'apiKey',
  'privateKey',
];

export function loggerOptions(app: string, level: string): LoggerOptions {
  return {
    name: app,
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
}

export function createLogger(app: string, level: string): Logger {
  return pino(loggerOptions(app, level));
}

export type { Logger };
