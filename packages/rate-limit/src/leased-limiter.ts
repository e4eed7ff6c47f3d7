import { withTimeout } from '@sluice/errors/timeout';
import type { Logger } from '@sluice/logger/logger';
import type { Redis } from 'ioredis';
import { takeTokens } from './redis-token-bucket.ts';

/**
 * A per-tenant rate limit shared by every API process, without a Redis round trip per request.
 *
 * The tenant's bucket lives in Redis (redis-token-bucket.ts). Each process leases a small share
 * of it (a tenth of a second of the tenant's rate) and spends the share locally; a request finds
 * its tokens in process memory, and a new lease is asked for in the background before the share
 * runs out. Leased tokens lapse after a second unspent, so tokens a quiet process holds cannot pile
 * up: across all processes the tenant never gets more than its rate and burst, and at worst a
 * little less while traffic moves between processes.
 *
 * PostgreSQL is the truth and Redis is disposable: when Redis fails or does not answer within
 * 250 ms, each process limits every tenant on its own, to the tenant's full rate, for a second,
 * then tries Redis again. Ingest keeps working; the limit is then per process, not shared.
 */

export interface BucketLimits {
  /** Tokens added per second. */
  rate: number;
  /** Tokens the bucket holds at most: what a tenant may spend at once after a quiet spell. */
  burst: number;
}

export interface RateDecision {
  allowed: boolean;
  /** The bucket's size (RateLimit-Limit). */
  limit: number;
  /** Tokens left, as far as this process knows (RateLimit-Remaining). */
  remaining: number;
  /** Seconds until the bucket is full again (RateLimit-Reset). */
  resetSeconds: number;
  /** When refused: seconds until this cost could pass (Retry-After). */
  retryAfterSeconds: number;
  /** When refused because the cost is more than the bucket ever holds. */
  overBurst: boolean;
}

const LEASE_SECONDS_OF_RATE = 0.1;
const LEASE_LIFETIME_MS = 1_000;
const LEASE_TIMEOUT_MS = 250;
const REDIS_RETRY_MS = 1_000;
const MAX_TENANTS = 10_000;

interface TenantBucket {
  local: number;
  leaseEndsAt: number;
  /** The shared bucket's tokens at the last lease, and when that was. */
  shared: number;
  sharedAt: number;
  lease: Promise<number> | undefined;
  /** Tokens wanted by requests waiting for a lease. */
  waiting: number;
  /** The bucket this process keeps alone while Redis is away. */
  alone: { tokens: number; at: number };
}

const leaseSize = (limits: BucketLimits) =>
  Math.max(1, Math.min(limits.burst, Math.ceil(limits.rate * LEASE_SECONDS_OF_RATE)));
const refilled = (tokens: number, sinceMs: number, limits: BucketLimits) =>
  Math.min(limits.burst, tokens + (Math.max(0, sinceMs) * limits.rate) / 1000);

function decide(allowed: boolean, available: number, limits: BucketLimits, cost: number): RateDecision {
  const remaining = Math.max(0, Math.min(limits.burst, available));
  return {
    allowed,
    limit: limits.burst,
    remaining: Math.floor(remaining),
    resetSeconds: Math.ceil((limits.burst - remaining) / limits.rate),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((cost - remaining) / limits.rate)),
    overBurst: cost > limits.burst,
  };
}

export function createLeasedLimiter(deps: { redis: Redis; keyPrefix: string; logger: Logger }) {
  const buckets = new Map<string, TenantBucket>();
  let redisAwayUntil = 0;
  let redisClockOffset: number | undefined;

  function bucketOf(id: string, limits: BucketLimits, now: number): TenantBucket {
    let bucket = buckets.get(id);
    if (!bucket) {
      bucket = {
        local: 0,
        leaseEndsAt: 0,
        shared: limits.burst,
        sharedAt: now,
        lease: undefined,
        waiting: 0,
        alone: { tokens: limits.burst, at: now },
      };
      buckets.set(id, bucket);
      if (buckets.size > MAX_TENANTS) buckets.delete(buckets.keys().next().value!);
    }
    if (bucket.leaseEndsAt <= now) bucket.local = 0;
    return bucket;
  }

  const available = (bucket: TenantBucket, limits: BucketLimits, now: number) =>
    bucket.local + refilled(bucket.shared, now - bucket.sharedAt, limits);

  /** Asks Redis for `need` tokens or more; resolves with how many were granted, or -1 when Redis failed. */
  function lease(id: string, bucket: TenantBucket, limits: BucketLimits, need: number, wanted: number) {
    const want = Math.min(limits.burst, Math.max(need, wanted, leaseSize(limits)));
    const sentAt = Date.now();
    // In Redis's clock; the offset is learnt from earlier answers (it errs early, by their latency).
    const deadline = redisClockOffset === undefined ? 0 : sentAt + LEASE_TIMEOUT_MS + redisClockOffset;
    const take = takeTokens(deps.redis, `${deps.keyPrefix}${id}`, limits, need, want, deadline);
    const leased = withTimeout(take, LEASE_TIMEOUT_MS, 'Redis')
      .then(({ granted, left, redisNow }) => {
        const now = Date.now();
        redisClockOffset = redisNow - now;
        // Past its deadline by Redis's clock (the answer was at the edge of the timeout): as if timed out.
        if (left < 0) throw new Error('the lease reached Redis after its deadline');
        if (bucket.leaseEndsAt <= now) bucket.local = 0;
        bucket.local += granted;
        bucket.leaseEndsAt = now + LEASE_LIFETIME_MS;
        bucket.shared = left;
        bucket.sharedAt = now;
        return granted;
      })
      .catch((error: unknown) => {
        if (Date.now() >= redisAwayUntil) {
          deps.logger.warn({ err: error }, 'rate limits cannot reach Redis: each API process limits alone for now');
        }
        redisAwayUntil = Date.now() + REDIS_RETRY_MS;
        return -1;
      })
      .finally(() => {
        bucket.lease = undefined;
      });
    bucket.lease = leased;
    return leased;
  }

  function takeAlone(bucket: TenantBucket, cost: number, limits: BucketLimits, now: number): RateDecision {
    const alone = bucket.alone;
    alone.tokens = refilled(alone.tokens, now - alone.at, limits);
    alone.at = now;
    const allowed = alone.tokens >= cost;
    if (allowed) alone.tokens -= cost;
    return decide(allowed, alone.tokens, limits, cost);
  }

  async function takeSlowly(id: string, bucket: TenantBucket, cost: number, limits: BucketLimits) {
    // Requests waiting together are served by one lease asking for all of them; a request asks
    // again only while leases bring tokens, and is refused once its own lease finds too few.
    bucket.waiting += cost;
    try {
      for (let round = 0; round < 10; round++) {
        const ours = bucket.lease === undefined;
        const need = cost - bucket.local;
        const granted = await (bucket.lease ?? lease(id, bucket, limits, need, bucket.waiting - bucket.local));
        const now = Date.now();
        if (granted < 0 || now < redisAwayUntil) return takeAlone(bucket, cost, limits, now);
        if (bucket.local >= cost) {
          bucket.local -= cost;
          return decide(true, available(bucket, limits, now), limits, cost);
        }
        if (ours && granted === 0) break;
      }
      return decide(false, available(bucket, limits, Date.now()), limits, cost);
    } finally {
      bucket.waiting -= cost;
    }
  }

  return {
    /** Spends `cost` tokens of the tenant's bucket, or refuses; synchronous unless a lease is needed. */
    take(id: string, cost: number, limits: BucketLimits): RateDecision | Promise<RateDecision> {
      const now = Date.now();
      const bucket = bucketOf(id, limits, now);
      if (cost > limits.burst) return decide(false, available(bucket, limits, now), limits, cost);
      if (now < redisAwayUntil) return takeAlone(bucket, cost, limits, now);
      if (bucket.local < cost) return takeSlowly(id, bucket, cost, limits);
      bucket.local -= cost;
      // Refill ahead, so the next requests find their tokens here too.
      if (bucket.local < leaseSize(limits) / 2 && !bucket.lease) void lease(id, bucket, limits, 1, 0);
      return decide(true, available(bucket, limits, now), limits, cost);
    },

    /** The bucket as this process knows it, spending nothing (for the headers of reads and errors). */
    peek(id: string, limits: BucketLimits): RateDecision {
      const now = Date.now();
      const bucket = bucketOf(id, limits, now);
      if (now < redisAwayUntil)
        return decide(true, refilled(bucket.alone.tokens, now - bucket.alone.at, limits), limits, 0);
      return decide(true, available(bucket, limits, now), limits, 0);
    },
  };
}

export type LeasedLimiter = ReturnType<typeof createLeasedLimiter>;
