import { type PrivateRedis, startPrivateRedis } from '@sluice/testing/private-redis';
import { freePort } from '@sluice/testing/service-process';
import { sampleEvent, startTestStack, type TestStack, waitFor } from '@sluice/testing/stack';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * An API that starts while Redis is away: events are accepted all along (PostgreSQL is the
 * truth), and once Redis is there the API enqueues again by itself, without a restart.
 */
let port: number;
let stack: TestStack;
let redis: PrivateRedis | undefined;
beforeAll(async () => {
  port = await freePort();
  stack = await startTestStack({ redisUrl: `redis://127.0.0.1:${port}` });
});
afterAll(async () => {
  await stack?.close();
  await redis?.stop();
});

describe('an API started without Redis', () => {
  it('accepts events meanwhile, and enqueues again once Redis is there', async () => {
    const tenant = await stack.createTenant();
    const { auth } = await stack.createKey(tenant.id, ['ingest']);
    const post = () => stack.app.inject({ method: 'POST', url: '/v1/events', headers: auth, payload: sampleEvent() });

    const early = await post();
    expect(early.statusCode).toBe(202);
    expect((await stack.app.inject('/readyz')).statusCode).toBe(503);

    redis = await startPrivateRedis(port);
    const direct = new Redis(redis.url);
    try {
      await waitFor(async () => (await stack.app.inject('/readyz')).statusCode === 200, 15_000);
      const later = await post();
      expect(later.statusCode).toBe(202);
      // The fan-out job of the event accepted now is in Redis (the early one is the sweeper's to redo).
      const jobKey = `bull:fan-out:fan-out-${later.json().id}`;
      await waitFor(async () => (await direct.exists(jobKey)) === 1, 10_000);
    } finally {
      direct.disconnect();
    }
  });
});
