import { TimeoutError } from './timeout.ts';

/**
 * Errors that mean "PostgreSQL or Redis is away or hangs", not "this request is wrong": the
 * API answers them 503 with Retry-After, so clients retry instead of giving up, and the log
 * is not flooded with stack traces for an outage that is already known.
 */

// SQLSTATE classes and codes: 08 connection exception, 53300 too many connections, 57014 a
// statement cancelled by statement_timeout, 57P01-57P03 shutdown or startup, 25P03 an idle
// transaction timed out, 40001/40P01 serialization failure or deadlock (retry as well).
const UNAVAILABLE_SQLSTATE = /^(08...|53300|57014|57P0[123]|25P03|40001|40P01)$/;
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'EAI_AGAIN']);
// pg and ioredis report a lost or silent connection with plain Errors and these messages.
const UNAVAILABLE_MESSAGE =
  /^(Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Client was closed|Connection is closed|Command timed out|Stream isn't writeable|Reached the max retries per request)/;

function unavailableItself(error: unknown): boolean {
  if (error instanceof TimeoutError) return true;
  if (!(error instanceof Error)) return false;
  if ('code' in error && typeof error.code === 'string') {
    if (UNAVAILABLE_SQLSTATE.test(error.code) || UNAVAILABLE_ERRNO.has(error.code)) return true;
  }
  return UNAVAILABLE_MESSAGE.test(error.message);
}

/** True when the error, or one it was caused by (drizzle wraps pg's), says a store is unavailable. */
export function isStoreUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current !== undefined && depth < 5; depth++) {
    if (unavailableItself(current)) return true;
    if (current instanceof AggregateError && current.errors.some(unavailableItself)) return true;
    current = current instanceof Error ? current.cause : undefined;
  }
  return false;
}
