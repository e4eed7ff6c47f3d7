import { Redis, type RedisOptions } from 'ioredis';

/**
 * Producers (the API, the sweeper) fail fast while Redis is away or hangs: the event is
 * already in PostgreSQL and the sweeper enqueues it later. Workers instead wait for Redis to
 * come back (BullMQ requires maxRetriesPerRequest: null on their connection).
 */
export function createProducerConnection(url: string, options: { commandTimeoutMs?: number } = {}): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    // A Redis that accepts the connection but never answers (frozen, overloaded) fails each command.
    commandTimeout: options.commandTimeoutMs ?? 1_000,
    lazyConnect: false,
  } satisfies RedisOptions);
}

export function createWorkerConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, connectTimeout: 5_000 } satisfies RedisOptions);
}

/**
 * Redis answers PING within the timeout. A connection still being made (just after start, or
 * reconnecting) is waited for within the same timeout: the producer connection refuses commands
 * until it is ready, which would otherwise read as "down" for the first moments of a process.
 */
export async function redisIsUp(redis: Redis, timeoutMs = 1_000): Promise<boolean> {
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref());
  try {
    if (redis.status !== 'ready') {
      let onReady = () => {};
      const ready = new Promise<void>((resolve) => {
        onReady = resolve;
        redis.once('ready', onReady);
      });
      // Detached either way, so /readyz during an outage does not pile up listeners.
      await Promise.race([ready, timeout]).finally(() => redis.off('ready', onReady));
    }
    return (await Promise.race([redis.ping(), timeout])) === 'PONG';
  } catch {
    return false;
  }
}
