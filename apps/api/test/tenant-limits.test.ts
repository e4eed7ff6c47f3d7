import { sampleEvent, startTestStack, type TestStack } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destinationInput } from './destinations-support.ts';

/**
 * Operator-set limits (GET/PATCH /v1/admin/tenants/{id}), destination quotas, and the API key
 * cache across two API processes (two apps over the same PostgreSQL and Redis).
 */
let a: TestStack;
let b: TestStack;
beforeAll(async () => {
  a = await startTestStack({ env: { DEFAULT_MAX_DESTINATIONS_PER_CUSTOMER: '3' } });
  b = await startTestStack({ env: { DEFAULT_MAX_DESTINATIONS_PER_CUSTOMER: '3' } });
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const tenantUrl = (id: string) => `/v1/admin/tenants/${id}`;
const patch = (id: string, payload: object) =>
  a.app.inject({ method: 'PATCH', url: tenantUrl(id), headers: a.operator, payload });

const destination = (customerExternalId: string) => destinationInput({ customerExternalId });

describe('tenant limits', () => {
  it('shows the defaults, takes the operator’s own, and goes back to the default on null', async () => {
    const tenant = await a.createTenant('Limited');
    const initial = await a.app.inject({ method: 'GET', url: tenantUrl(tenant.id), headers: a.operator });
    expect(initial.statusCode).toBe(200);
    expect(initial.json()).toEqual({
      ...tenant,
      limits: {
        ingestPerSecond: 1000,
        ingestBurst: 2000,
        maxDestinations: 1000,
        maxDestinationsPerCustomer: 3,
        destinationTestsPerMinute: 20,
      },
    });

    const changed = await patch(tenant.id, {
      name: 'Limited Inc',
      limits: { ingestPerSecond: 50, maxDestinations: 7 },
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({
      name: 'Limited Inc',
      // No burst of its own: twice its own rate.
      limits: { ingestPerSecond: 50, ingestBurst: 100, maxDestinations: 7, maxDestinationsPerCustomer: 3 },
    });
    const burst = await patch(tenant.id, { limits: { ingestBurst: 60 } });
    expect(burst.json().limits).toMatchObject({ ingestPerSecond: 50, ingestBurst: 60, maxDestinations: 7 });
    const reset = await patch(tenant.id, { limits: { ingestPerSecond: null, ingestBurst: null } });
    expect(reset.json().limits).toMatchObject({ ingestPerSecond: 1000, ingestBurst: 2000, maxDestinations: 7 });
    const listed = await a.app.inject({ method: 'GET', url: '/v1/admin/tenants?limit=1', headers: a.operator });
    expect(listed.json().data[0]).toMatchObject({ id: tenant.id, name: 'Limited Inc' });
  });

  it('refuses bad limits with 400 naming the field, and an unknown tenant with 404', async () => {
    const tenant = await a.createTenant();
    for (const [limits, path] of [
      [{ ingestPerSecond: 0 }, 'limits.ingestPerSecond'],
      [{ ingestBurst: -1 }, 'limits.ingestBurst'],
      [{ maxDestinations: 1.5 }, 'limits.maxDestinations'],
      [{ perHour: 5 }, 'limits.perHour'],
    ] as const) {
      const response = await patch(tenant.id, { limits });
      expect(response.statusCode, JSON.stringify(limits)).toBe(400);
      expect(response.json().errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    const missing = '019a5c1e-7b2f-7c3e-9d41-1f2e3a4b5c6d';
    expect((await patch(missing, { limits: { ingestPerSecond: 5 } })).statusCode).toBe(404);
    expect((await a.app.inject({ method: 'GET', url: tenantUrl(missing), headers: a.operator })).statusCode).toBe(404);
    const tenantKey = await a.createKey(tenant.id, ['admin']);
    expect((await a.app.inject({ method: 'GET', url: tenantUrl(tenant.id), headers: tenantKey.auth })).statusCode).toBe(
      403,
    );
  });
});

describe('destination quotas', () => {
  it('answer 422 quota_exceeded past the per-customer and the per-tenant limit', async () => {
    const tenant = await a.createTenant();
    const { auth } = await a.createKey(tenant.id, ['admin']);
    await patch(tenant.id, { limits: { maxDestinations: 3, maxDestinationsPerCustomer: 2 } });
    const create = (customer: string) =>
      a.app.inject({ method: 'POST', url: '/v1/destinations', headers: auth, payload: destination(customer) });

    expect((await create('c1')).statusCode).toBe(201);
    const second = await create('c1');
    expect(second.statusCode).toBe(201);
    const third = await create('c1');
    expect(third.statusCode).toBe(422);
    expect(third.json()).toMatchObject({ code: 'quota_exceeded', detail: expect.stringContaining('c1') });
    expect((await create('c2')).statusCode).toBe(201);
    const overTenant = await create('c3');
    expect(overTenant.statusCode).toBe(422);
    expect(overTenant.json().detail).toContain('This tenant has 3 destinations');

    // A deleted destination frees its place.
    const deleted = await a.app.inject({
      method: 'DELETE',
      url: `/v1/destinations/${second.json().id}`,
      headers: auth,
    });
    expect(deleted.statusCode).toBe(204);
    expect((await create('c3')).statusCode).toBe(201);
  });

  it('hold under concurrent creates, across processes', async () => {
    const tenant = await a.createTenant();
    const { auth } = await a.createKey(tenant.id, ['admin']);
    await patch(tenant.id, { limits: { maxDestinations: 4, maxDestinationsPerCustomer: 100 } });
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (i % 2 ? a : b).app.inject({
          method: 'POST',
          url: '/v1/destinations',
          headers: auth,
          payload: destination(`c${i}`),
        }),
      ),
    );
    const statuses = answers.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([...Array(4).fill(201), ...Array(8).fill(422)]);
  });
});

describe('the API key cache', () => {
  const postEvent = (stack: TestStack, authorization: string) =>
    stack.app.inject({ method: 'POST', url: '/v1/events', headers: { authorization }, payload: sampleEvent() });

  it('a key revoked through one process answers 401 in the other within a second', async () => {
    const { id, auth } = await a.createKey((await a.createTenant()).id, ['ingest']);
    // Both processes know (and cache) the key.
    expect((await postEvent(a, auth.authorization)).statusCode).toBe(202);
    expect((await postEvent(b, auth.authorization)).statusCode).toBe(202);
    expect((await postEvent(b, auth.authorization)).statusCode).toBe(202);

    const revoked = await a.app.inject({ method: 'DELETE', url: `/v1/admin/api-keys/${id}`, headers: a.operator });
    expect(revoked.statusCode).toBe(204);
    expect((await postEvent(a, auth.authorization)).statusCode).toBe(401);
    await sleep(1_000);
    expect((await postEvent(b, auth.authorization)).statusCode).toBe(401);
  });

  it('remembers an unknown key for a moment: a flood of one bad key is not a flood of queries', async () => {
    let checkouts = 0;
    const count = () => {
      checkouts += 1;
    };
    b.database.pool.on('acquire', count);
    const badKey = `Bearer sk_${'Q'.repeat(43)}`;
    try {
      for (let i = 0; i < 10; i++) {
        const answers = await Promise.all(Array.from({ length: 50 }, () => postEvent(b, badKey)));
        expect(answers.every((r) => r.statusCode === 401)).toBe(true);
      }
    } finally {
      b.database.pool.off('acquire', count);
    }
    // One lookup, plus the change poll's few queries a second while this ran.
    expect(checkouts).toBeLessThan(50);
  });

  it('a new key works at once in every process', async () => {
    const tenant = await a.createTenant();
    const { auth } = await a.createKey(tenant.id, ['ingest']);
    expect((await postEvent(b, auth.authorization)).statusCode).toBe(202);
  });
});
