import { sampleEvent, startTestStack, type TestStack } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let stack: TestStack;
let auth: { authorization: string };
let tenantId: string;

beforeAll(async () => {
  stack = await startTestStack();
  tenantId = (await stack.createTenant()).id;
  auth = (await stack.createKey(tenantId, ['ingest'])).auth;
});
afterAll(() => stack.close());

const post = (payload: unknown, headers = auth) =>
  stack.app.inject({ method: 'POST', url: '/v1/events', headers, payload: payload as object });

const countEvents = async (idempotencyKey: string) =>
  Number(
    (await stack.database.pool.query('select count(*) from events where idempotency_key = $1', [idempotencyKey]))
      .rows[0].count,
  );

describe('POST /v1/events', () => {
  it('stores the event before answering 202', async () => {
    const event = sampleEvent();
    const response = await post(event);
    expect(response.statusCode).toBe(202);
    const body = response.json();
    expect(body).toEqual({ id: expect.any(String), status: 'accepted', duplicate: false });
    const row = await stack.database.pool.query('select * from events where id = $1', [body.id]);
    expect(row.rows[0]).toMatchObject({
      tenant_id: tenantId,
      idempotency_key: event.idempotencyKey,
      payload: event.payload,
    });
  });

  it('answers a retry with the same body 200 duplicate, pointing at the first event', async () => {
    const event = sampleEvent();
    const first = (await post(event)).json();
    const again = await post(event);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ id: first.id, status: 'accepted', duplicate: true });
    expect(await countEvents(event.idempotencyKey as string)).toBe(1);
  });

  it('treats the same body with keys in another order as the same request', async () => {
    const event = sampleEvent({ payload: { a: 1, b: { c: 2, d: 3 } } });
    const reordered = { ...event, payload: { b: { d: 3, c: 2 }, a: 1 } };
    const first = (await post(event)).json();
    expect((await post(reordered)).json()).toEqual({ id: first.id, status: 'accepted', duplicate: true });
  });

  it('refuses a reused idempotency key with another body: 409 idempotency_conflict', async () => {
    const event = sampleEvent();
    await post(event);
    const response = await post({ ...event, payload: { changed: true } });
    expect(response.statusCode).toBe(409);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ status: 409, code: 'idempotency_conflict' });
    expect(await countEvents(event.idempotencyKey as string)).toBe(1);
  });

  it('stores one event under 50 concurrent identical requests; the rest are duplicates', async () => {
    const event = sampleEvent();
    const responses = await Promise.all(Array.from({ length: 50 }, () => post(event)));
    const statuses = responses.map((r) => r.statusCode).sort();
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(49);
    expect(new Set(responses.map((r) => r.json().id)).size).toBe(1);
    expect(await countEvents(event.idempotencyKey as string)).toBe(1);
  });

  it('keys idempotency per tenant: another tenant may use the same key', async () => {
    const event = sampleEvent();
    await post(event);
    const other = await stack.createKey((await stack.createTenant('Other')).id, ['ingest']);
    expect((await post(event, other.auth)).statusCode).toBe(202);
  });

  it('answers 413 payload_too_large over 1 MiB', async () => {
    const response = await post(sampleEvent({ payload: { blob: 'x'.repeat(1024 * 1024) } }));
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ code: 'payload_too_large' });
  });

  it('answers 400 invalid_json for malformed JSON and __proto__ keys', async () => {
    for (const body of ['{"eventType": ', '{"__proto__": {"polluted": true}}', '[1,2']) {
      const response = await stack.app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: body,
      });
      expect(response.statusCode, body).toBe(400);
      expect(response.json().code).toBe('invalid_json');
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('answers 415 for a body that is not JSON', async () => {
    const response = await stack.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { ...auth, 'content-type': 'text/plain' },
      payload: 'hello',
    });
    expect(response.statusCode).toBe(415);
    expect(response.json().code).toBe('unsupported_media_type');
  });
});

describe('x-request-id', () => {
  it('keeps a client request id and puts it in problems', async () => {
    const response = await stack.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { ...auth, 'x-request-id': 'client-req-42' },
      payload: {},
    });
    expect(response.headers['x-request-id']).toBe('client-req-42');
    expect(response.json().requestId).toBe('client-req-42');
  });

  it('replaces an unsafe request id and sets one on every answer', async () => {
    const response = await stack.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'a b\tc' } });
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
