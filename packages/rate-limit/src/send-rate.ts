import { withTimeout } from '@sluice/errors/timeout';
import type { Logger } from '@sluice/logger/logger';
import type { Redis } from 'ioredis';
import { takeTokens } from './redis-token-bucket.ts';

/**
 * How fast the workers send to one destination, summed over every worker process.
 *
 * A destination's bucket lives in Redis (redis-token-bucket.ts): its `rateLimit.perSecond`
 * tokens a second, holding at most a tenth of a second of them (the burst), and lowered by a
 * slowdown while AWS throttles it (the bucket's cap: halved on throttling, grown back by a tenth
 * a second on success, lifted at the rate it started from). A drain takes tokens before each
 * claim and claims no more messages than it got; with none, it comes back when they are due.
 *
 * Destinations with no rateLimit that are not slowed down cost nothing here: no Redis call.
 * A process asks Redis about one of them only once it knows of a slowdown, from its own drains
 * being throttled, from the destination's health row (`throttled`, or `slowed_until`, written by
 * whichever worker saw it), or from an earlier answer; an answer with no slowdown ends that.
 *
 * Redis is disposable: when it fails or does not answer within the timeout, a destination with
 * a rateLimit sends nothing for a second (the limit is a promise to the customer), and one that
 * is only slowed down sends unlimited (the slowdown is Sluice's own care, AWS still throttles).
 */

export interface SendRateTarget {
  id: string;
  /** The destination's rateLimit.perSecond; null: none. */
  perSecond: number | null;
  /** Its health row says a worker slowed it down (AWS throttles it, or the slowdown is not lifted yet). */
  slowedDown: boolean;
}

export interface SendAllowance {
  /** Messages the drain may claim and send now. */
  granted: number;
  /** When nothing was granted: milliseconds until tokens are due. */
  dueInMs: number;
  /** The slowdown Redis answered (messages a second), null when none; absent when Redis was not asked or failed. */
  slowedTo?: number | null;
}

const KEY_PREFIX = '{sluice}:send-rate:';
const REDIS_TIMEOUT_MS = 500;
const REDIS_AWAY_RETRY_MS = 1_000;
const MAX_REMEMBERED = 10_000;

export function createSendRateLimiter(deps: { redis: Redis; logger: Logger; timeoutMs?: number }) {
  const timeoutMs = deps.timeoutMs ?? REDIS_TIMEOUT_MS;
  // Destinations this process knows to be slowed down (a least-recently-seen map).
  const slowed = new Set<string>();
  let warnedAt = 0;

  function remember(id: string) {
    slowed.delete(id);
    slowed.add(id);
    if (slowed.size > MAX_REMEMBERED) slowed.delete(slowed.values().next().value!);
  }

  function warn(error: unknown, destinationId: string) {
    if (Date.now() - warnedAt < 10_000) return;
    warnedAt = Date.now();
    deps.logger.warn({ err: error, destinationId }, 'send rates cannot reach Redis');
  }

  const isLimited = (target: SendRateTarget) => target.perSecond !== null || target.slowedDown || slowed.has(target.id);

  return {
    isLimited,

    /**
     * Tokens for up to `want` messages. `succeeded`: the drain's last round delivered without
     * being throttled (it lets a slowdown grow back, in the same round trip).
     */
    async acquire(target: SendRateTarget, want: number, succeeded: boolean): Promise<SendAllowance> {
      if (!isLimited(target)) return { granted: want, dueInMs: 0 };
      try {
        const taken = await withTimeout(
          takeTokens(
            deps.redis,
            `${KEY_PREFIX}${target.id}`,
            { rate: target.perSecond ?? 0, burst: 0 },
            1,
            want,
            0,
            succeeded ? { kind: 'succeeded' } : undefined,
          ),
          timeoutMs,
          'Redis',
        );
        if (taken.cap === null) slowed.delete(target.id);
        else remember(target.id);
        const dueInMs = taken.granted > 0 ? 0 : Math.max(1, taken.dueInMs);
        return { granted: taken.granted, dueInMs, slowedTo: taken.cap };
      } catch (error) {
        warn(error, target.id);
        if (target.perSecond !== null) return { granted: 0, dueInMs: REDIS_AWAY_RETRY_MS };
        return { granted: want, dueInMs: 0 };
      }
    },

    /**
     * AWS throttled the destination: its rate halves for every worker (once a second at most).
     * `estimate`: messages a second this process was sending, the starting point when the
     * destination has no rateLimit.
     */
    async throttled(target: SendRateTarget, estimate: number): Promise<void> {
      remember(target.id);
      try {
        await withTimeout(
          takeTokens(deps.redis, `${KEY_PREFIX}${target.id}`, { rate: target.perSecond ?? 0, burst: 0 }, 0, 0, 0, {
            kind: 'throttled',
            estimate,
          }),
          timeoutMs,
          'Redis',
        );
      } catch (error) {
        warn(error, target.id);
      }
    },
  };
}

export type SendRateLimiter = ReturnType<typeof createSendRateLimiter>;
