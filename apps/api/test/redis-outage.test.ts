import { jobCatalog, QUEUE_PREFIX } from '@sluice/jobs/catalog';
import { type PrivateRedis, startPrivateRedis } from '@sluice/testing/private-redis';
import { freePort } from '@sluice/testing/service-process';
import { sampleEvent, startTestStack, type TestStack, waitFor } from '@sluice/testing/stack';
import { Queue } from 'bullmq';
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
      // The tenant's fan-out wake-up is in Redis (the early event's was lost: the sweeper redoes it).
      const fanOut = new Queue(jobCatalog.fanOut.queue, { connection: direct, prefix: QUEUE_PREFIX });
      const tenantsWoken = async () => (await fanOut.getJobs(['wait', 'prioritized'])).map((job) => job.data.tenantId);
      await waitFor(async () => (await tenantsWoken()).includes(tenant.id), 10_000);
    } finally {
      direct.disconnect();
    }
  });
});
