import { sampleEvent, startTestStack, type TestStack } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let stack: TestStack;
let auth: { authorization: string };

beforeAll(async () => {
  stack = await startTestStack();
  auth = (await stack.createKey((await stack.createTenant()).id, ['ingest'])).auth;
});
afterAll(() => stack.close());

const postBatch = (events: unknown[]) =>
  stack.app.inject({ method: 'POST', url: '/v1/events/batch', headers: auth, payload: { events } });

describe('POST /v1/events/batch', () => {
  it('answers each item in order: accepted, duplicate or rejected, and one bad item stops nothing', async () => {
    const existing = sampleEvent();
    await stack.app.inject({ method: 'POST', url: '/v1/events', headers: auth, payload: existing });
    const fresh = sampleEvent();
    const response = await postBatch([
      fresh,
      sampleEvent({ eventType: 'not valid!' }),
      existing,
      { ...existing, payload: { other: true } },
      fresh,
      { ...fresh, source: 'another-body' },
    ]);
    expect(response.statusCode).toBe(200);
    const results = response.json().results;
    expect(results.map((r: { index: number; status: string }) => [r.index, r.status])).toEqual([
      [0, 'accepted'],
      [1, 'rejected'],
      [2, 'duplicate'],
      [3, 'rejected'],
      [4, 'duplicate'],
      [5, 'rejected'],
    ]);
    expect(results[1].errors[0].path).toBe('eventType');
    expect(results[3].errors[0]).toMatchObject({ path: 'idempotencyKey', code: 'idempotency_conflict' });
    expect(results[4].id).toBe(results[0].id);
  });

  it('inserts the whole batch with one INSERT statement', async () => {
    const statements: string[] = [];
    const pool = stack.database.pool;
    const original = pool.query.bind(pool);
    pool.query = ((...args: Parameters<typeof pool.query>) => {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text: string }).text;
      statements.push(text);
      return original(...args);
    }) as typeof pool.query;
    try {
      const response = await postBatch(Array.from({ length: 500 }, () => sampleEvent()));
      expect(response.json().results.every((r: { status: string }) => r.status === 'accepted')).toBe(true);
    } finally {
      pool.query = original;
    }
    expect(statements.filter((text) => /insert into "?events"? /i.test(text))).toHaveLength(1);
  });

  it('refuses more than 500 events, an empty list and unknown fields with 400', async () => {
    const tooMany = await postBatch(Array.from({ length: 501 }, () => sampleEvent()));
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().errors[0]).toMatchObject({ path: 'events', message: 'must have at most 500 items' });
    expect((await postBatch([])).statusCode).toBe(400);
    const unknown = await stack.app.inject({
      method: 'POST',
      url: '/v1/events/batch',
      headers: auth,
      payload: { events: [sampleEvent()], extra: 1 },
    });
    expect(unknown.json().errors).toEqual([{ path: 'extra', message: 'is not a known field' }]);
  });
});
