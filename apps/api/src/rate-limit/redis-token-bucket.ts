import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * The shared half of a rate limit: one token bucket per tenant in Redis, refilled by Redis's
 * own clock, from which API processes take tokens in leases (leased-limiter.ts). A take is
 * all or nothing for `need` tokens and gives up to `want`: a request that cannot be served
 * takes nothing, so tokens are never burnt by a refusal. A take that reaches Redis after its
 * deadline (Redis's clock; 0: none) takes nothing either: when a frozen Redis wakes up and runs
 * the takes its callers gave up on long ago, they must not empty the bucket.
 */
const TAKE_TOKENS = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local need = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
local deadline = tonumber(ARGV[5])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
if deadline > 0 and now > deadline then
  return { 0, '-1', now }
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local granted = 0
if tokens >= need then
  granted = math.min(want, math.floor(tokens))
  tokens = tokens - granted
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return { granted, tostring(tokens), now }
`;
const TAKE_TOKENS_SHA = createHash('sha1').update(TAKE_TOKENS).digest('hex');

export interface TakeResult {
  granted: number;
  /** Tokens left in the shared bucket after this take (fractional); -1 when it came too late. */
  left: number;
  /** Redis's clock (ms) when it ran the take. */
  redisNow: number;
}

export async function takeTokens(
  redis: Redis,
  key: string,
  bucket: { rate: number; burst: number },
  need: number,
  want: number,
  deadline: number,
): Promise<TakeResult> {
  const args = [key, bucket.rate, bucket.burst, need, want, deadline];
  const reply = await redis.evalsha(TAKE_TOKENS_SHA, 1, ...args).catch((error: unknown) => {
    if (error instanceof Error && error.message.startsWith('NOSCRIPT')) return redis.eval(TAKE_TOKENS, 1, ...args);
    throw error;
  });
  if (!Array.isArray(reply) || reply.length !== 3) throw new Error('unexpected answer from the token bucket script');
  return { granted: Number(reply[0]), left: Number(reply[1]), redisNow: Number(reply[2]) };
}
