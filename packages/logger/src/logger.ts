import { traceLogFields } from '@sluice/telemetry/log-fields';
import { isTracingOn } from '@sluice/telemetry/tracing';
import { type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger };

/**
 * Paths that may carry secrets anywhere in a log object. Redaction is the backstop:
 * code should not log these in the first place.
 */
export const redactPaths = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  '*.secretAccessKey',
  '*.*.secretAccessKey',
  'secretAccessKey',
  '*.sessionToken',
  '*.*.sessionToken',
  '*.key',
  'key',
  'apiKey',
  '*.apiKey',
  'OPERATOR_API_KEY',
  'ENCRYPTION_KEY',
  'encryptionKey',
];

/** With tracing on (start it first), every line logged within a span carries its trace and span ids. */
export function createLogger(options: { level?: string; name?: string } & LoggerOptions = {}): Logger {
  return pino({
    level: options.level ?? 'info',
    name: options.name,
    redact: { paths: redactPaths, censor: '[redacted]' },
    ...(isTracingOn() ? { mixin: traceLogFields } : {}),
    ...options,
  });
}
