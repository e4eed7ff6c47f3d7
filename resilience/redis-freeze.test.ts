import { type PrivateRedis, startPrivateRedis } from '@sluice/testing/private-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventFor, type ProcessStack, startProcessStack, timedPost } from './process-stack.ts';

/**
 * Redis that hangs (SIGSTOP: connections stay open, nothing answers) under the real API and
 * worker processes. The API must keep accepting events (202 once stored, within 3 s, as the
 * contract says), /readyz must say 503 within 2 s, and once Redis answers again every event
 * accepted meanwhile is delivered.
 */
let redis: PrivateRedis;
let stack: ProcessStack;
beforeAll(async () => {
  redis = await startPrivateRedis();
  stack = await startProcessStack({ REDIS_URL: redis.url }, 'redis-freeze');
});
afterAll(async () => {
  await stack?.stop();
  await redis?.stop();
});

const slowest = (answers: { ms: number }[]) => Math.max(...answers.map((a) => a.ms));

describe('a frozen Redis', () => {
  it('does not stop ingest, /readyz tells, and nothing accepted is lost', async () => {
    const accepted: string[] = [];
    const before = await timedPost(stack, eventFor(stack, 'before'));
    expect(before.status).toBe(202);
    accepted.push(before.id!);

    redis.freeze();
    try {
      const started = performance.now();
      const ready = await fetch(`${stack.baseUrl}/readyz`);
      const readyMs = performance.now() - started;
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ checks: { redis: false, postgres: true } });

      // Ten seconds of frozen Redis: the rate limiter's leases and the fan-out enqueues time out.
      const during = [];
      for (let i = 0; i < 20; i++) during.push(await timedPost(stack, eventFor(stack, `frozen-${i}`, { i })));
      const batch = await fetch(`${stack.baseUrl}/v1/events/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ events: [eventFor(stack, 'frozen-batch-0'), eventFor(stack, 'frozen-batch-1')] }),
      });
      expect(batch.status).toBe(200);
      const batchIds = ((await batch.json()) as { results: { id: string; status: string }[] }).results;
      expect(batchIds.map((r) => r.status)).toEqual(['accepted', 'accepted']);

      console.log(`frozen Redis: /readyz in ${readyMs.toFixed(0)} ms, slowest POST ${slowest(during).toFixed(0)} ms`);
      expect(during.map((answer) => answer.status)).toEqual(Array(20).fill(202));
      // The contract's bounds (2 s, 3 s), with room for a loaded machine.
      expect(readyMs).toBeLessThan(3_000);
      expect(slowest(during)).toBeLessThan(4_500);
      accepted.push(...during.map((answer) => answer.id!), ...batchIds.map((r) => r.id));
    } finally {
      redis.thaw();
    }

    const after = await timedPost(stack, eventFor(stack, 'after'));
    expect(after.status).toBe(202);
    accepted.push(after.id!);
    // Enqueues that timed out are redone by the worker's sweeper: every event arrives.
    await stack.waitForDelivery(accepted, 60_000);
    expect((await fetch(`${stack.baseUrl}/readyz`)).status).toBe(200);
    expect(stack.api.child.exitCode).toBeNull();
    expect(stack.worker.child.exitCode).toBeNull();
  });
});
