import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * One token bucket in Redis, refilled by Redis's own clock, shared by every process that takes
 * from it: the API's per-tenant ingest limits (leased-limiter.ts) and the workers' per-destination
 * send rates (send-rate.ts). A take is all or nothing for `need` tokens and gives up to `want`:
 * a caller that cannot be served takes nothing, so tokens are never burnt by a refusal. A take
 * that reaches Redis after its deadline (Redis's clock; 0: none) takes nothing either: when a
 * frozen Redis wakes up and runs the takes its callers gave up on long ago, they must not empty
 * the bucket.
 *
 * A bucket may also carry a slowdown (`cap`, tokens per second): the rate then is the lower of
 * the caller's and the cap, and the burst a tenth of a second of it. Feedback changes the cap
 * in the same round trip as the take (additive increase, multiplicative decrease):
 * - `throttled`: the cap halves (from the caller's rate, or from `estimate` when it has none),
 *   at most once a second however many processes report the same burst of throttling, and the
 *   bucket empties. The rate at the first cut is remembered as the ceiling.
 * - `succeeded`: the cap grows by a tenth of the ceiling per second since it last changed; once
 *   back at the ceiling it is lifted.
 * A caller with no rate of its own (rate 0) and no cap in the bucket is not limited: it is
 * granted `want` and told `cap` -1, and nothing is written. A caller that passes burst 0 gets a
 * tenth of a second of its rate as the burst, and a new bucket that holds one token, not a full one.
 */
const TAKE_TOKENS = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local need = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
local deadline = tonumber(ARGV[5])
local feedback = ARGV[6] or ''
local estimate = tonumber(ARGV[7] or '1')
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
if deadline > 0 and now > deadline then
  return { 0, '-1', now, '-1', 0 }
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at', 'cap', 'ceiling', 'changedAt', 'cutAt')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
local cap = tonumber(state[3])
local ceiling = tonumber(state[4]) or cap
local changedAt = tonumber(state[5]) or now
local cutAt = tonumber(state[6]) or 0
if feedback == 'throttled' then
  if cap == nil or now - cutAt >= 1000 then
    local base = cap
    if base == nil then
      base = rate > 0 and rate or math.max(1, estimate)
      ceiling = base
    end
    cap = math.max(1, base / 2)
    changedAt = now
    cutAt = now
    tokens = 0
    at = now
  end
elseif feedback == 'succeeded' and cap ~= nil then
  cap = cap + math.max(1, ceiling / 10) * math.max(0, now - changedAt) / 1000
  changedAt = now
  if cap >= ceiling then
    cap = nil
    redis.call('HDEL', KEYS[1], 'cap', 'ceiling', 'changedAt', 'cutAt')
  end
end
local effective = rate
if cap ~= nil and (rate <= 0 or cap < rate) then effective = cap end
if effective <= 0 then
  return { want, '-1', now, '-1', 0 }
end
-- burst 0 (a destination's send rate): a tenth of a second of the rate, and a new or expired
-- bucket starts with one token rather than full, so a first send after a quiet spell is no burst.
local paced = burst <= 0
if cap ~= nil or paced then burst = math.max(1, math.ceil(effective / 10)) end
if tokens == nil or at == nil then
  tokens = paced and 1 or burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) * effective / 1000)
local granted = 0
if tokens >= need then
  granted = math.min(want, math.floor(tokens))
  tokens = tokens - granted
end
local dueIn = 0
if granted == 0 and need > 0 then dueIn = math.ceil((need - tokens) * 1000 / effective) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
if cap ~= nil then
  redis.call('HSET', KEYS[1], 'cap', tostring(cap), 'ceiling', tostring(ceiling), 'changedAt', tostring(changedAt),
    'cutAt', tostring(cutAt))
  -- A slowdown nobody reports on for ten minutes is forgotten with its bucket.
  redis.call('PEXPIRE', KEYS[1], 600000)
  return { granted, tostring(tokens), now, tostring(cap), dueIn }
end
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / effective) + 1000)
return { granted, tostring(tokens), now, '-1', dueIn }
`;
const TAKE_TOKENS_SHA = createHash('sha1').update(TAKE_TOKENS).digest('hex');

export interface TakeResult {
  granted: number;
  /** Tokens left in the shared bucket after this take (fractional); -1 when it came too late or nothing limits. */
  left: number;
  /** Redis's clock (ms) when it ran the take. */
  redisNow: number;
  /** The slowdown in force (tokens per second), or null when there is none. */
  cap: number | null;
  /** When nothing was granted: milliseconds until `need` tokens are there. */
  dueInMs: number;
}

export type BucketFeedback = 'throttled' | 'succeeded';

export async function takeTokens(
  redis: Redis,
  key: string,
  /** `rate` 0: no rate of its own (only a slowdown limits); `burst` 0: a tenth of a second of the rate. */
  bucket: { rate: number; burst: number },
  need: number,
  want: number,
  deadline: number,
  feedback?: { kind: BucketFeedback; estimate?: number },
): Promise<TakeResult> {
  const args: Array<string | number> = [key, bucket.rate, bucket.burst, need, want, deadline];
  if (feedback) args.push(feedback.kind, Math.max(1, Math.round(feedback.estimate ?? 1)));
  const reply = await redis.evalsha(TAKE_TOKENS_SHA, 1, ...args).catch((error: unknown) => {
    if (error instanceof Error && error.message.startsWith('NOSCRIPT')) return redis.eval(TAKE_TOKENS, 1, ...args);
    throw error;
  });
  if (!Array.isArray(reply) || reply.length !== 5) throw new Error('unexpected answer from the token bucket script');
  const cap = Number(reply[3]);
  return {
    granted: Number(reply[0]),
    left: Number(reply[1]),
    redisNow: Number(reply[2]),
    cap: cap < 0 ? null : cap,
    dueInMs: Number(reply[4]),
  };
}
