import { sampleEvent, startTestStack, type TestStack } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let stack: TestStack;
let auth: { authorization: string };

beforeAll(async () => {
  stack = await startTestStack();
  auth = (await stack.createKey((await stack.createTenant()).id, ['ingest'])).auth;
});
afterAll(() => stack.close());

const without = (field: string) => {
  const event = sampleEvent();
  delete event[field];
  return event;
};

// One failing case per rule of the contract, with the field it must name.
const invalid: [string, Record<string, unknown>, string][] = [
  ['eventType missing', without('eventType'), 'eventType'],
  ['eventType empty', sampleEvent({ eventType: '' }), 'eventType'],
  ['eventType with a space', sampleEvent({ eventType: 'order completed' }), 'eventType'],
  ['eventType over 128', sampleEvent({ eventType: 'a'.repeat(129) }), 'eventType'],
  ['eventType not a string', sampleEvent({ eventType: 42 }), 'eventType'],
  ['occurredAt missing', without('occurredAt'), 'occurredAt'],
  ['occurredAt not a date', sampleEvent({ occurredAt: 'yesterday' }), 'occurredAt'],
  ['occurredAt without offset', sampleEvent({ occurredAt: '2026-05-26T14:21:08' }), 'occurredAt'],
  ['source missing', without('source'), 'source'],
  ['source empty', sampleEvent({ source: '' }), 'source'],
  ['source over 128', sampleEvent({ source: 's'.repeat(129) }), 'source'],
  ['customerExternalId missing', without('customerExternalId'), 'customerExternalId'],
  ['customerExternalId over 256', sampleEvent({ customerExternalId: 'c'.repeat(257) }), 'customerExternalId'],
  ['idempotencyKey missing', without('idempotencyKey'), 'idempotencyKey'],
  ['idempotencyKey empty', sampleEvent({ idempotencyKey: '' }), 'idempotencyKey'],
  ['idempotencyKey over 256', sampleEvent({ idempotencyKey: 'k'.repeat(257) }), 'idempotencyKey'],
  ['idempotencyKey with a control character', sampleEvent({ idempotencyKey: 'a\u0000b' }), 'idempotencyKey'],
  ['correlationId empty', sampleEvent({ correlationId: '' }), 'correlationId'],
  ['correlationId over 256', sampleEvent({ correlationId: 'r'.repeat(257) }), 'correlationId'],
  ['payload missing', without('payload'), 'payload'],
  ['payload an array', sampleEvent({ payload: [1, 2] }), 'payload'],
  ['payload a string', sampleEvent({ payload: 'text' }), 'payload'],
  [
    'payload nested too deep',
    sampleEvent({ payload: JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`) }),
    'payload',
  ],
  ['metadata not an object', sampleEvent({ metadata: 'pro' }), 'metadata'],
  ['metadata with an object value', sampleEvent({ metadata: { nested: { a: 1 } } }), 'metadata.nested'],
  ['an unknown top-level field', sampleEvent({ priority: 'high' }), 'priority'],
  // PostgreSQL cannot store NUL; a lone surrogate is not Unicode. Both must be 400s, not 500s.
  ['a NUL in source', sampleEvent({ source: 'a\u0000b' }), 'source'],
  ['a NUL in a payload value', sampleEvent({ payload: { note: 'x\u0000y' } }), 'payload.note'],
  ['a NUL in a payload key', sampleEvent({ payload: { 'k\u0000': 1 } }), 'payload.k\u0000'],
  ['a lone surrogate in the payload', sampleEvent({ payload: { items: ['ok', '\ud800'] } }), 'payload.items.1'],
  ['a NUL in metadata', sampleEvent({ metadata: { tier: '\u0000' } }), 'metadata.tier'],
];

describe('POST /v1/events validation', () => {
  it.each(invalid)('refuses %s with 400 naming the field', async (_name, event, path) => {
    const response = await stack.app.inject({ method: 'POST', url: '/v1/events', headers: auth, payload: event });
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body).toMatchObject({ status: 400, code: 'validation_failed', title: 'Bad Request' });
    expect(body.errors.map((e: { path: string }) => e.path)).toContain(path);
    for (const error of body.errors) expect(error.message).toEqual(expect.any(String));
  });

  it('lists one error per problem', async () => {
    const response = await stack.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: auth,
      payload: { eventType: 'bad type', source: '', extra: 1, payload: {} },
    });
    const paths = response.json().errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining(['eventType', 'occurredAt', 'source', 'customerExternalId', 'idempotencyKey', 'extra']),
    );
    expect(response.json().errors.find((e: { path: string }) => e.path === 'occurredAt').message).toBe('is required');
  });

  it('accepts unicode, an offset date-time, metadata of every allowed type and no correlationId', async () => {
    const response = await stack.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: auth,
      payload: sampleEvent({
        occurredAt: '2026-05-26T16:21:08.493+02:00',
        idempotencyKey: 'ключ-🔑-clé',
        correlationId: undefined,
        customerExternalId: '客户-1',
        metadata: { tier: 'pro', seats: 3, trial: false },
      }),
    });
    expect(response.statusCode).toBe(202);
    const stored = await stack.app.inject({ method: 'GET', url: `/v1/events/${response.json().id}`, headers: auth });
    expect(stored.json()).toMatchObject({
      occurredAt: '2026-05-26T14:21:08.493Z',
      correlationId: null,
      idempotencyKey: 'ключ-🔑-clé',
    });
  });
});
