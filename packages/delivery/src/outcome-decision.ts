import type { LastError } from '@sluice/db/schema/deliveries';
import type { DlqReason } from '@sluice/db/schema/dlq';
import type { DeliveryOutcome } from '@sluice/destinations/types';
import { backoffMs, nextAttemptAt } from './retry-policy.ts';

/**
 * What happens to a delivery after an attempt: a function of the claim, the outcome, the
 * destination's retry limits and the clock, and nothing else (so it is tested with a table).
 */

export interface ClaimFacts {
  attempts: number;
  /** attempts when last replayed: retry limits count from there. */
  retryBase: number;
  expiresAt: Date;
}

export type Decision =
  | { kind: 'delivered'; providerMessageId?: string | undefined }
  | { kind: 'retry'; error: LastError; nextAttemptAt: Date; uncounted?: boolean }
  | { kind: 'dead'; error: LastError; reason: DlqReason };

export function decideOutcome(
  claimed: ClaimFacts,
  outcome: DeliveryOutcome,
  limits: { maxAttempts: number | null },
  now: Date,
  random: () => number = Math.random,
): Decision {
  if (outcome.ok) return { kind: 'delivered', providerMessageId: outcome.providerMessageId };
  const { failure } = outcome;
  const error = { code: failure.code, message: failure.message, at: now.toISOString() };
  if (failure.category === 'too_large') return { kind: 'dead', error, reason: 'payload_too_large' };
  if (failure.category === 'transform_failed') return { kind: 'dead', error, reason: 'transform_failed' };
  if (failure.kind === 'permanent') return { kind: 'dead', error, reason: 'permanent_error' };
  if (failure.category === 'throttled') {
    // AWS slowing the destination down is not this message's failure: the destination's send
    // rate slows down instead (send-rate.ts), and the message is due again within a second,
    // its attempt logged but not counted against maxAttempts (its retry window still holds).
    const next = new Date(now.getTime() + backoffMs(1, random));
    if (next > claimed.expiresAt) return { kind: 'dead', error, reason: 'retries_exhausted' };
    return { kind: 'retry', error, nextAttemptAt: next, uncounted: true };
  }
  // Retry limits count from the last replay: a replayed delivery gets a fresh round.
  const attemptNo = claimed.attempts + 1 - claimed.retryBase;
  const next = nextAttemptAt(attemptNo, { maxAttempts: limits.maxAttempts, expiresAt: claimed.expiresAt }, now, random);
  if (!next) return { kind: 'dead', error, reason: 'retries_exhausted' };
  return { kind: 'retry', error, nextAttemptAt: next };
}

/** How long an unusable destination's deliveries wait before the drain looks at it again. */
export const UNUSABLE_RECHECK_MS = 60_000;

/**
 * A destination Sluice cannot use (a stored config a newer version refuses, a secret no key
 * opens) holds its deliveries without counting an attempt, so an operator's mistake fixed
 * within the retry window loses nothing and keeps FIFO turns; past the window they are dead.
 */
export function decideUnusable(
  claimed: Pick<ClaimFacts, 'expiresAt'>,
  error: LastError,
  now: Date,
): { kind: 'release' } | { kind: 'dead'; error: LastError; reason: 'retries_exhausted' } {
  if (claimed.expiresAt.getTime() <= now.getTime()) return { kind: 'dead', error, reason: 'retries_exhausted' };
  return { kind: 'release' };
}
