import { describe, expect, it } from 'vitest';
import { readEventField } from '../src/event-fields.ts';
import {
  deduplicationId,
  eventAttributes,
  eventBody,
  messageBytes,
  messageGroupId,
  partitionKey,
  stableHash,
} from '../src/message-encoding.ts';
import { makeEvent } from './harness.ts';

describe('event fields', () => {
  const event = makeEvent({
    payload: { order: { id: 'ord_1', lines: [{ sku: 'A-1' }] }, amount: 12900, flag: true, empty: '' },
    metadata: { tier: 'pro', seats: 3 },
  });

  it.each([
    ['customerExternalId', 'acct_8K2zRq'],
    ['payload.order.id', 'ord_1'],
    ['payload.order.lines.0.sku', 'A-1'],
    ['payload.amount', '12900'],
    ['metadata.tier', 'pro'],
    ['metadata.seats', '3'],
  ])('reads %s', (path, value) => {
    expect(readEventField(event, path)).toBe(value);
  });

  it.each([
    'payload.missing',
    'payload.flag',
    'payload.order',
    'payload.empty',
    'correlationId',
    'payload.order.lines.x',
  ])('answers null for %s (missing, or not a string or number)', (path) => {
    expect(readEventField(event, path)).toBeNull();
  });

  it('does not read inherited properties', () => {
    expect(readEventField(event, 'payload.constructor')).toBeNull();
  });
});

describe('FIFO ids and partition keys', () => {
  it('uses the field, falling back to the customerExternalId', () => {
    const event = makeEvent({ payload: { orderId: 'ord_9' } });
    expect(messageGroupId(event, 'payload.orderId')).toBe('ord_9');
    expect(messageGroupId(event, 'payload.nothing')).toBe(event.customerExternalId);
  });

  it('hashes group ids over 128 characters or outside the allowed set, stably', () => {
    const long = makeEvent({ customerExternalId: 'c'.repeat(129) });
    expect(messageGroupId(long, 'customerExternalId')).toBe(stableHash('c'.repeat(129)));
    const spaced = makeEvent({ customerExternalId: 'acct 1' });
    expect(messageGroupId(spaced, 'customerExternalId')).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(messageGroupId(spaced, 'customerExternalId')).toBe(
      messageGroupId(makeEvent({ customerExternalId: 'acct 1' }), 'customerExternalId'),
    );
    const punctuation = makeEvent({ customerExternalId: `!"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~` });
    expect(messageGroupId(punctuation, 'customerExternalId')).toBe(punctuation.customerExternalId);
    expect(messageGroupId(makeEvent({ customerExternalId: 'é' }), 'customerExternalId')).toMatch(/^sha256:/);
  });

  it('uses the idempotencyKey as dedup id when allowed, else its hash', () => {
    expect(deduplicationId(makeEvent({ idempotencyKey: 'order_38a91f-completed' }))).toBe('order_38a91f-completed');
    expect(deduplicationId(makeEvent({ idempotencyKey: 'k'.repeat(128) }))).toBe('k'.repeat(128));
    expect(deduplicationId(makeEvent({ idempotencyKey: 'k'.repeat(129) }))).toBe(stableHash('k'.repeat(129)));
    expect(stableHash('x')).toHaveLength(71);
  });

  it('hashes partition keys over 256 characters', () => {
    expect(partitionKey(makeEvent({ customerExternalId: 'p'.repeat(256) }), 'customerExternalId')).toBe(
      'p'.repeat(256),
    );
    expect(partitionKey(makeEvent({ customerExternalId: 'p'.repeat(257) }), 'customerExternalId')).toBe(
      stableHash('p'.repeat(257)),
    );
  });
});

describe('body and attributes', () => {
  it('writes the canonical fields in order, leaving out absent ones', () => {
    const event = makeEvent();
    expect(Object.keys(JSON.parse(eventBody(event)))).toEqual([
      'id',
      'eventType',
      'occurredAt',
      'source',
      'customerExternalId',
      'idempotencyKey',
      'payload',
      'receivedAt',
    ]);
  });

  it('escapes characters SQS refuses without changing the JSON value', () => {
    const event = makeEvent({ payload: { text: 'a\uffffb\u0001' } });
    const body = eventBody(event);
    expect(body.includes('\uffff') || body.includes('\u0001')).toBe(false);
    expect(JSON.parse(body).payload.text).toBe('a\uffffb\u0001');
  });

  it('carries correlationId only when present, and counts bytes as SQS does', () => {
    const without = eventAttributes(makeEvent());
    expect(without.map(([name]) => name)).toEqual(['eventType', 'eventId', 'source', 'customerExternalId']);
    const withIt = eventAttributes(makeEvent({ correlationId: 'req_1' }));
    expect(withIt.at(-1)).toEqual(['correlationId', 'req_1']);
    expect(messageBytes('héllo', [['a', 'bc']])).toBe(6 + 1 + 'String'.length + 2);
  });
});
