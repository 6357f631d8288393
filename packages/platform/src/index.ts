export { ConfigError, exitOnConfigError, parseConfig } from './config';
export { createLogger, loggerOptions, REDACTED_PATHS, type Logger } from './logger';
export { Shutdown } from './shutdown';
export { currentRequestId, isRequestId, REQUEST_ID_PATTERN, runWithRequestId } from './request-context';
