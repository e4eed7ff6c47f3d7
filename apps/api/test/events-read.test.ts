import { sampleEvent, startTestStack, type TestStack } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let stack: TestStack;
let tenantA: { authorization: string };
let tenantB: { authorization: string };

beforeAll(async () => {
  stack = await startTestStack();
  tenantA = (await stack.createKey((await stack.createTenant('A')).id, ['ingest'])).auth;
  tenantB = (await stack.createKey((await stack.createTenant('B')).id, ['admin'])).auth;
});
afterAll(() => stack.close());

const accept = async (event: Record<string, unknown>, headers = tenantA) =>
  (await stack.app.inject({ method: 'POST', url: '/v1/events', headers, payload: event })).json().id as string;
const get = (url: string, headers = tenantA) => stack.app.inject({ method: 'GET', url, headers });

describe('GET /v1/events/{id}', () => {
  it('returns the event as stored with receivedAt and its deliveries', async () => {
    const event = sampleEvent();
    const id = await accept(event);
    const response = await get(`/v1/events/${id}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ...event, id, receivedAt: expect.any(String), deliveries: [] });
    expect(Date.parse(response.json().receivedAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("answers 404 for another tenant's event and for ids that do not exist", async () => {
    const id = await accept(sampleEvent());
    for (const url of [`/v1/events/${id}`, '/v1/events/01a206aa-0000-7000-8000-000000000000', '/v1/events/not-an-id']) {
      const response = await get(url, tenantB);
      expect(response.statusCode, url).toBe(404);
      expect(response.json().code).toBe('not_found');
    }
  });
});

describe('GET /v1/events', () => {
  it('lists newest first with filters and a cursor that is stable under inserts', async () => {
    const customer = `cust-${Math.random().toString(36).slice(2)}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(await accept(sampleEvent({ customerExternalId: customer, eventType: i % 2 ? 'odd' : 'even' })));
    const first = (await get(`/v1/events?customerExternalId=${customer}&limit=2`)).json();
    expect(first.data.map((e: { id: string }) => e.id)).toEqual([ids[4], ids[3]]);
    await accept(sampleEvent({ customerExternalId: customer }));
    const second = (await get(`/v1/events?customerExternalId=${customer}&limit=2&cursor=${first.nextCursor}`)).json();
    expect(second.data.map((e: { id: string }) => e.id)).toEqual([ids[2], ids[1]]);
    const third = (await get(`/v1/events?customerExternalId=${customer}&limit=2&cursor=${second.nextCursor}`)).json();
    expect(third).toEqual({ data: [expect.objectContaining({ id: ids[0] })], nextCursor: null });
    const odd = (await get(`/v1/events?customerExternalId=${customer}&eventType=odd`)).json();
    expect(odd.data.map((e: { id: string }) => e.id)).toEqual([ids[3], ids[1]]);
  });

  it("never lists another tenant's events", async () => {
    const customer = `shared-${Math.random().toString(36).slice(2)}`;
    await accept(sampleEvent({ customerExternalId: customer }));
    expect((await get(`/v1/events?customerExternalId=${customer}`, tenantB)).json().data).toEqual([]);
  });

  it('refuses a bad limit or cursor with 400', async () => {
    for (const query of ['limit=0', 'limit=201', 'limit=abc', 'cursor=bm9wZQ']) {
      const response = await get(`/v1/events?${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.json().code).toBe('validation_failed');
    }
  });
});
