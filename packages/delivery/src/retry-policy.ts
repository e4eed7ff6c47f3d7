/**
 * When a transient failure is tried again: exponential backoff with full jitter (AWS's
 * recommended form: a uniform wait between 0 and the exponential step), capped at three
 * minutes, for at most `maxAgeSeconds` after the event arrived and `maxAttempts` tries.
 */
export const RETRY_BASE_MS = 1_000;
export const RETRY_CAP_MS = 180_000;
export const DEFAULT_MAX_AGE_SECONDS = 24 * 3600;

export interface RetryLimits {
  maxAttempts: number | null;
  expiresAt: Date;
}

export function backoffMs(attemptNo: number, random: () => number = Math.random): number {
  const step = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.min(attemptNo - 1, 30));
  // Never zero: a throttled destination must actually slow down.
  return Math.max(RETRY_BASE_MS / 4, Math.floor(random() * step));
}

/** The time of the next try after failed attempt `attemptNo`, or null when retries are exhausted. */
export function nextAttemptAt(
  attemptNo: number,
  limits: RetryLimits,
  now = new Date(),
  random: () => number = Math.random,
): Date | null {
  if (limits.maxAttempts !== null && attemptNo >= limits.maxAttempts) return null;
  const next = new Date(now.getTime() + backoffMs(attemptNo, random));
  return next > limits.expiresAt ? null : next;
}
