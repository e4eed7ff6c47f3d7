import { randomUUID } from 'node:crypto';
import { createLogger } from '@sluice/logger/logger';
import { testRedisUrl } from '@sluice/testing/test-env';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createSendRateLimiter } from '../src/send-rate.ts';

/** The destination send rate against the real Redis: shared tokens, the slowdown's cuts and growth, and no cost when unlimited. */

const redis = new Redis(testRedisUrl);
afterAll(() => redis.quit());
const logger = createLogger({ level: 'silent', name: 'send-rate-test' });
const keyOf = (id: string) => `{sluice}:send-rate:${id}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A limiter whose Redis script calls are counted. */
function countedLimiter() {
  const counter = { calls: 0 };
  const counted = new Proxy(redis, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (property === 'evalsha' || property === 'eval') {
        return (...args: unknown[]) => {
          counter.calls++;
          return value.apply(target, args);
        };
      }
      return value.bind(target);
    },
  });
  return { limiter: createSendRateLimiter({ redis: counted, logger }), counter };
}

describe('send rate', () => {
  it('costs no Redis call for a destination without rateLimit that is not slowed down', async () => {
    const { limiter, counter } = countedLimiter();
    const target = { id: randomUUID(), perSecond: null, slowedDown: false };
    for (let n = 0; n < 5; n++) expect(await limiter.acquire(target, 200, n > 0)).toEqual({ granted: 200, dueInMs: 0 });
    expect(counter.calls).toBe(0);
  });

  it('shares perSecond between processes: a tenth of a second at once, never more than rate and burst', async () => {
    const target = { id: randomUUID(), perSecond: 20, slowedDown: false };
    const processes = [countedLimiter().limiter, countedLimiter().limiter];
    // A new bucket holds one token: the first message goes at once, the rest at the rate.
    const first = await processes[0]!.acquire(target, 200, false);
    expect(first.granted).toBe(1);
    const empty = await processes[1]!.acquire(target, 200, false);
    expect(empty.granted).toBe(0);
    expect(empty.dueInMs).toBeGreaterThan(0);
    expect(empty.dueInMs).toBeLessThanOrEqual(50);

    let granted = 0;
    const started = Date.now();
    while (Date.now() - started < 1_000) {
      for (const limiter of processes) {
        const allowance = await limiter.acquire(target, 200, false);
        granted += allowance.granted;
        if (allowance.granted === 0) await sleep(allowance.dueInMs);
      }
    }
    // One second of tokens plus at most the burst (two), and nearly all of it used.
    expect(granted).toBeLessThanOrEqual(20 + 2);
    expect(granted).toBeGreaterThanOrEqual(16);
    // Unspent, tokens pile up to a tenth of a second of the rate, no more.
    await sleep(300);
    expect((await processes[0]!.acquire(target, 200, false)).granted).toBe(2);
  });

  it('halves on throttling (once a second however many report it), grows back on success, then lifts', async () => {
    const { limiter } = countedLimiter();
    const target = { id: randomUUID(), perSecond: 100, slowedDown: false };
    await limiter.throttled(target, 1);
    expect(Number(await redis.hget(keyOf(target.id), 'cap'))).toBe(50);
    // Another worker's report of the same burst does not cut again.
    await countedLimiter().limiter.throttled(target, 1);
    expect(Number(await redis.hget(keyOf(target.id), 'cap'))).toBe(50);
    // The bucket was emptied: nothing at once, then a tenth of a second of the cap.
    expect((await limiter.acquire(target, 200, false)).granted).toBe(0);
    await sleep(200);
    const slowed = await limiter.acquire(target, 200, false);
    expect(slowed.granted).toBeGreaterThanOrEqual(1);
    expect(slowed.granted).toBeLessThanOrEqual(5);

    // A second later, throttled again: halved again.
    await redis.hset(keyOf(target.id), 'cutAt', String(Date.now() - 1_000));
    await limiter.throttled(target, 1);
    expect(Number(await redis.hget(keyOf(target.id), 'cap'))).toBe(25);

    // Success grows the cap by a tenth of where it started (100) per second since it last changed.
    await redis.hset(keyOf(target.id), 'changedAt', String(Date.now() - 2_000));
    await limiter.acquire(target, 1, true);
    const grown = Number(await redis.hget(keyOf(target.id), 'cap'));
    expect(grown).toBeGreaterThanOrEqual(45);
    expect(grown).toBeLessThan(50);
    // Back at the rate it started from: lifted.
    await redis.hset(keyOf(target.id), 'changedAt', String(Date.now() - 10_000));
    await limiter.acquire(target, 1, true);
    expect(await redis.hget(keyOf(target.id), 'cap')).toBeNull();
  });

  it('slows a destination without rateLimit from what it was sending, and stops asking Redis once lifted', async () => {
    const { limiter, counter } = countedLimiter();
    const target = { id: randomUUID(), perSecond: null, slowedDown: false };
    await limiter.throttled(target, 40);
    expect(Number(await redis.hget(keyOf(target.id), 'cap'))).toBe(20);
    // This process now asks Redis for it; another learns it from the destination's health.
    await sleep(150);
    const slowed = await limiter.acquire(target, 200, false);
    expect(slowed.granted).toBeGreaterThanOrEqual(1);
    expect(slowed.granted).toBeLessThanOrEqual(2);
    expect(slowed.slowedTo).toBe(20);
    const other = countedLimiter();
    expect((await other.limiter.acquire({ ...target, slowedDown: true }, 200, false)).granted).toBeLessThanOrEqual(2);

    await redis.hset(keyOf(target.id), 'changedAt', String(Date.now() - 10_000));
    expect(await limiter.acquire(target, 200, true)).toEqual({ granted: 200, dueInMs: 0, slowedTo: null });
    const before = counter.calls;
    expect(await limiter.acquire(target, 200, true)).toEqual({ granted: 200, dueInMs: 0 });
    expect(counter.calls).toBe(before);
  });

  it('sends nothing for a rate-limited destination while Redis does not answer, and unlimited otherwise', async () => {
    const dead = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    const limiter = createSendRateLimiter({ redis: dead, logger, timeoutMs: 200 });
    expect(await limiter.acquire({ id: randomUUID(), perSecond: 5, slowedDown: false }, 10, false)).toEqual({
      granted: 0,
      dueInMs: 1_000,
    });
    expect(await limiter.acquire({ id: randomUUID(), perSecond: null, slowedDown: true }, 10, false)).toEqual({
      granted: 10,
      dueInMs: 0,
    });
    dead.disconnect();
  });
});
