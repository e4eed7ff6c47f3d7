import { Redis, type RedisOptions } from 'ioredis';

/**
 * Producers (the API, the sweeper) fail fast while Redis is away: the event is already
 * in PostgreSQL and the sweeper enqueues it later. Workers instead wait for Redis to
 * come back (BullMQ requires maxRetriesPerRequest: null on their connection).
 */
export function createProducerConnection(url: string): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    lazyConnect: false,
  } satisfies RedisOptions);
}

export function createWorkerConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, connectTimeout: 5_000 } satisfies RedisOptions);
}

/** Redis answers PING within the timeout. */
export async function redisIsUp(redis: Redis, timeoutMs = 1_000): Promise<boolean> {
  try {
    const answer = await Promise.race([
      redis.ping(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref()),
    ]);
    return answer === 'PONG';
  } catch {
    return false;
  }
}
