import { sampleEvent, startTestStack, type TestStack } from '@sluice/testing/stack';
import { testRedisUrl } from '@sluice/testing/test-env';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destinationInput } from './destinations-support.ts';

/**
 * Per-tenant ingest limits shared by every API process (two apps over the same Redis here),
 * the RateLimit-* headers, and what happens when Redis is not there.
 */
let a: TestStack;
let b: TestStack;
beforeAll(async () => {
  // STS on a port where nothing listens: a destination test fails at once instead of reaching for AWS.
  const awsEnv = { AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:1', AWS_REGION: 'us-east-1' };
  a = await startTestStack({ awsEnv });
  b = await startTestStack({ awsEnv });
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

async function limitedTenant(stack: TestStack, limits: Record<string, number>) {
  const tenant = await stack.createTenant('Throttled');
  const patched = await stack.app.inject({
    method: 'PATCH',
    url: `/v1/admin/tenants/${tenant.id}`,
    headers: stack.operator,
    payload: { limits },
  });
  expect(patched.statusCode).toBe(200);
  return { tenantId: tenant.id, ...(await stack.createKey(tenant.id, ['ingest', 'admin'])) };
}

const postEvent = (stack: TestStack, auth: { authorization: string }) =>
  stack.app.inject({ method: 'POST', url: '/v1/events', headers: auth, payload: sampleEvent() });
const postBatch = (stack: TestStack, auth: { authorization: string }, size: number) =>
  stack.app.inject({
    method: 'POST',
    url: '/v1/events/batch',
    headers: auth,
    payload: { events: Array.from({ length: size }, () => sampleEvent()) },
  });

const headersOf = (response: LightMyRequestResponse) => ({
  limit: Number(response.headers['ratelimit-limit']),
  remaining: Number(response.headers['ratelimit-remaining']),
  reset: Number(response.headers['ratelimit-reset']),
});

/** Until the other process has seen the new limits (its change poll, a few times a second). */
async function waitForLimit(stack: TestStack, auth: { authorization: string }, burst: number) {
  for (let i = 0; i < 100; i++) {
    const read = await stack.app.inject({ method: 'GET', url: '/v1/events?limit=1', headers: auth });
    if (headersOf(read).limit === burst) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the limit never reached the other process');
}

describe('the ingest limit', () => {
  it('holds across API processes: a burst, then the rate, and 429 rate_limited with Retry-After', async () => {
    const { auth } = await limitedTenant(a, { ingestPerSecond: 2, ingestBurst: 10 });
    await waitForLimit(b, auth, 10);
    const started = Date.now();
    const answers: LightMyRequestResponse[] = [];
    for (let i = 0; i < 30; i++) answers.push(await postEvent(i % 2 ? a : b, auth));
    const seconds = (Date.now() - started) / 1000;

    const accepted = answers.filter((r) => r.statusCode === 202).length;
    const refused = answers.filter((r) => r.statusCode === 429);
    expect(accepted).toBeGreaterThanOrEqual(10);
    // The burst, plus what the rate refilled meanwhile (one token of slack for the clock).
    expect(accepted).toBeLessThanOrEqual(10 + Math.ceil(seconds * 2) + 1);
    expect(accepted + refused.length).toBe(30);
    const problem = refused[0]!;
    expect(problem.json()).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(problem.json().detail).toContain('2 events per second');
    expect(Number(problem.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(headersOf(problem)).toEqual({ limit: 10, remaining: 0, reset: expect.any(Number) });
    expect(headersOf(problem).reset).toBeGreaterThanOrEqual(1);
  });

  it('holds across API processes that lease several tokens at a time, under concurrent load', async () => {
    // 50 a second: each process leases 5 tokens at once and spends them without asking Redis.
    const { auth } = await limitedTenant(a, { ingestPerSecond: 50, ingestBurst: 100 });
    await waitForLimit(b, auth, 100);
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 300 }, (_, i) => postEvent(i % 2 ? a : b, auth)));
    const seconds = (Date.now() - started) / 1000;
    const accepted = answers.filter((r) => r.statusCode === 202).length;
    expect(answers.filter((r) => r.statusCode !== 202 && r.statusCode !== 429)).toEqual([]);
    expect(accepted).toBeLessThanOrEqual(100 + Math.ceil(seconds * 50) + 1);
    // Leased tokens a process did not spend lapse: a little under the limit, never over it.
    expect(accepted).toBeGreaterThanOrEqual(80);
  });

  it('counts each event of a batch, and refuses a batch larger than the burst whatever the wait', async () => {
    const { auth, tenantId } = await limitedTenant(a, { ingestPerSecond: 1, ingestBurst: 12 });
    const first = await postBatch(a, auth, 8);
    expect(first.statusCode).toBe(200);
    expect(headersOf(first).remaining).toBeLessThanOrEqual(4);
    const second = await postBatch(a, auth, 8);
    expect(second.statusCode).toBe(429);
    expect(Number(second.headers['retry-after'])).toBeGreaterThanOrEqual(3);
    // Nothing of the refused batch was stored.
    const { rows } = await a.database.pool.query('select count(*)::int as n from events where tenant_id = $1', [
      tenantId,
    ]);
    expect(rows[0].n).toBe(8);
    const huge = await postBatch(a, auth, 13);
    expect(huge.statusCode).toBe(429);
    expect(huge.json().detail).toContain('split it');
  });

  it('shows the bucket on every answer of /v1/events*, reads and refusals included', async () => {
    const { auth } = await limitedTenant(a, { ingestPerSecond: 100, ingestBurst: 300 });
    const accepted = await postEvent(a, auth);
    expect(accepted.statusCode).toBe(202);
    expect(headersOf(accepted)).toMatchObject({ limit: 300 });
    expect(headersOf(accepted).remaining).toBeLessThan(300);
    const id = accepted.json().id;
    const answers = {
      read: await a.app.inject({ method: 'GET', url: `/v1/events/${id}`, headers: auth }),
      list: await a.app.inject({ method: 'GET', url: '/v1/events', headers: auth }),
      invalid: await a.app.inject({ method: 'POST', url: '/v1/events', headers: auth, payload: { eventType: 'x' } }),
      missing: await a.app.inject({
        method: 'GET',
        url: '/v1/events/019a5c1e-7b2f-7c3e-9d41-1f2e3a4b5c6d',
        headers: auth,
      }),
    };
    for (const [name, response] of Object.entries(answers)) {
      expect(response.statusCode, response.body).toBeLessThan(500);
      expect(headersOf(response), name).toEqual({
        limit: 300,
        remaining: expect.any(Number),
        reset: expect.any(Number),
      });
    }
  });

  it('keeps one tenant’s flood away from another tenant', async () => {
    const flooder = await limitedTenant(a, { ingestPerSecond: 1, ingestBurst: 3 });
    const other = await limitedTenant(a, { ingestPerSecond: 1, ingestBurst: 3 });
    for (let i = 0; i < 6; i++) await postEvent(a, flooder.auth);
    expect((await postEvent(a, flooder.auth)).statusCode).toBe(429);
    expect((await postEvent(a, other.auth)).statusCode).toBe(202);
  });
});

describe('the destination test limit', () => {
  it('refuses tests past the tenant’s tests per minute', async () => {
    const { auth } = await limitedTenant(a, { destinationTestsPerMinute: 2 });
    const created = await a.app.inject({
      method: 'POST',
      url: '/v1/destinations',
      headers: auth,
      payload: destinationInput(),
    });
    const url = `/v1/destinations/${created.json().id}/test`;
    // The tests themselves fail (STS is unreachable here); what counts is that they ran.
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push(await a.app.inject({ method: 'POST', url, headers: auth }));
    expect(statuses.map((r) => r.statusCode)).toEqual([200, 200, 429]);
    expect(statuses[2]!.json().detail).toContain('2 times a minute');
    expect(Number(statuses[2]!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });
});

describe('without Redis', () => {
  it('ingest goes on (fail open), each process then limiting alone', async () => {
    const deadRedis = testRedisUrl.replace(/:\d+(\/\d+)?$/, ':1');
    const alone = await startTestStack({ redisUrl: deadRedis });
    try {
      const { auth } = await limitedTenant(alone, { ingestPerSecond: 1, ingestBurst: 5 });
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await postEvent(alone, auth)).statusCode);
      expect(statuses.slice(0, 5)).toEqual([202, 202, 202, 202, 202]);
      expect(statuses.slice(5)).toContain(429);
    } finally {
      await alone.close();
    }
  });
});
