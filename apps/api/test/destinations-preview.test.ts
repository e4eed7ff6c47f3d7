import { EVENT_FIELDS } from '@sluice/contracts/events';
import { createQueue, receiveAll } from '@sluice/testing/aws-test-resources';
import { sampleEvent } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AWS_FIFO_QUEUE_URL,
  AWS_QUEUE_URL,
  AWS_STREAM_ARN,
  AWS_TOPIC_ARN,
  CUSTOMER,
  type DestinationsHarness,
  errorPaths,
  type Json,
  startDestinationsHarness,
} from './destinations-support.ts';

/**
 * POST /v1/destinations/{id}/preview: exactly what would be sent, for every type, with and
 * without a transform, by event body or by eventId; a failing transform answers 200 with an
 * error; nothing is sent.
 */

let h: DestinationsHarness;
beforeAll(async () => {
  h = await startDestinationsHarness();
});
afterAll(() => h.close());

const BUS_ARN = 'arn:aws:events:us-east-1:123456789012:event-bus/orders';
const jsonata = (expression: string) => ({ language: 'jsonata', expression });
const RENAME = jsonata('{ "order": payload.orderId, "cents": payload.amount, "event": id }');

async function preview(destinationId: string, body: Json) {
  const response = await h.call('POST', `/v1/destinations/${destinationId}/preview`, body);
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

/** What SQS and SNS count: the body and each String attribute's name, type and value. */
const sqsBytes = (body: string, attributes: Record<string, string>) =>
  Buffer.byteLength(body) +
  Object.entries(attributes).reduce(
    (sum, [name, value]) => sum + name.length + 'String'.length + Buffer.byteLength(value),
    0,
  );

describe('preview of each destination type', () => {
  it('SQS FIFO: the transformed body, the attributes, group and deduplication ids from the event', async () => {
    const destination = await h.create({
      config: { queueUrl: AWS_FIFO_QUEUE_URL, messageGroupIdField: 'payload.orderId' },
      transform: RENAME,
    });
    const event = sampleEvent({ customerExternalId: CUSTOMER, idempotencyKey: 'order_38a91f-completed' });
    const result = await preview(destination.id, { event });
    const body = JSON.parse(result.body);
    expect(body).toEqual({ order: 'ord_38a91f', cents: 12900, event: expect.any(String) });
    expect(result).toEqual({
      body: result.body,
      attributes: {
        eventType: 'order.completed',
        eventId: body.event,
        source: 'billing-service',
        customerExternalId: CUSTOMER,
        correlationId: 'req_4f30b2',
      },
      messageGroupId: 'ord_38a91f',
      messageDeduplicationId: 'order_38a91f-completed',
      bytes: sqsBytes(result.body, result.attributes),
      maxBytes: 1_048_576,
      fits: true,
    });
  });

  it('SQS standard without a transform: the event JSON with id and receivedAt, no FIFO ids', async () => {
    const destination = await h.create({ config: { queueUrl: AWS_QUEUE_URL } });
    const event = sampleEvent({ customerExternalId: CUSTOMER, occurredAt: '2026-05-26T16:21:08.493+02:00' });
    const result = await preview(destination.id, { event });
    // Every canonical field, in the contract's order (correlationId and metadata present here).
    expect(Object.keys(JSON.parse(result.body))).toEqual(EVENT_FIELDS);
    // As stored: the time in UTC.
    expect(JSON.parse(result.body).occurredAt).toBe('2026-05-26T14:21:08.493Z');
    expect(result.messageGroupId).toBeUndefined();
    expect(result.messageDeduplicationId).toBeUndefined();
    expect(result.partitionKey).toBeUndefined();
  });

  it('SNS: a body over the 256 KiB a topic takes does not fit', async () => {
    const destination = await h.create({
      type: 'sns',
      config: { topicArn: AWS_TOPIC_ARN },
      transform: jsonata('{ "padded": $pad("", 300000) }'),
    });
    const result = await preview(destination.id, { event: sampleEvent({ customerExternalId: CUSTOMER }) });
    expect(result).toMatchObject({ maxBytes: 262_144, fits: false });
    expect(result.bytes).toBe(sqsBytes(result.body, result.attributes));
    expect(result.bytes).toBeGreaterThan(300_000);
  });

  it('Kinesis: the body (Data) and the partition key from the event, no attributes', async () => {
    const destination = await h.create({
      type: 'kinesis',
      config: { streamArn: AWS_STREAM_ARN, partitionKeyField: 'metadata.region' },
      transform: jsonata('payload'),
    });
    const result = await preview(destination.id, { event: sampleEvent({ customerExternalId: CUSTOMER }) });
    expect(result).toEqual({
      body: '{"amount":12900,"orderId":"ord_38a91f"}',
      attributes: {},
      partitionKey: 'us-east-1',
      bytes: Buffer.byteLength(result.body) + 'us-east-1'.length,
      maxBytes: 1_048_576,
      fits: true,
    });
  });

  it('EventBridge: Detail, Source, DetailType and Time, sized as EventBridge sizes an entry', async () => {
    const destination = await h.create({
      type: 'eventbridge',
      config: { eventBusArn: BUS_ARN, source: 'com.acme.billing', detailTypeField: 'payload.kind' },
      transform: jsonata('$ ~> | payload | {}, ["kind"] |'),
    });
    const event = sampleEvent({ customerExternalId: CUSTOMER, payload: { kind: 'OrderCompleted', orderId: 'o1' } });
    const result = await preview(destination.id, { event });
    expect(JSON.parse(result.body).payload).toEqual({ orderId: 'o1' });
    expect(result.attributes).toEqual({
      Source: 'com.acme.billing',
      DetailType: 'OrderCompleted',
      Time: '2026-05-26T14:21:08.493Z',
      EventBusName: BUS_ARN,
    });
    expect(result.bytes).toBe(
      14 + 'com.acme.billing'.length + 'OrderCompleted'.length + Buffer.byteLength(result.body),
    );
    expect(result).toMatchObject({ maxBytes: 1_048_576, fits: true });
  });

  it('EventBridge: a transform that yields no JSON object fails, as Detail must be one', async () => {
    const destination = await h.create({
      type: 'eventbridge',
      config: { eventBusArn: BUS_ARN },
      transform: jsonata('payload.orderId'),
    });
    const result = await preview(destination.id, { event: sampleEvent({ customerExternalId: CUSTOMER }) });
    expect(result).toEqual({
      error: { code: 'transform_failed', message: expect.stringContaining('EventBridge takes only a JSON object') },
    });
  });
});

describe('nothing is sent', () => {
  it('leaves the queue and the event bus empty', async () => {
    const queueUrl = await createQueue(h.aws.sqs, `preview-${process.pid}`);
    const eventBusArn = h.aws.eventBridge.createBus(`preview-${process.pid}`);
    for (const [type, config] of [
      ['sqs', { queueUrl }],
      ['eventbridge', { eventBusArn }],
    ] as const) {
      const destination = await h.create({ type, config });
      expect((await preview(destination.id, { event: sampleEvent({ customerExternalId: CUSTOMER }) })).fits).toBe(true);
    }
    expect(await receiveAll(h.aws.sqs, queueUrl)).toEqual([]);
    expect(h.aws.eventBridge.events(eventBusArn)).toEqual([]);
  });
});

describe('preview by eventId', () => {
  it('shows a stored event as it would be sent, and the same body as previewing its JSON (keys as PostgreSQL keeps them)', async () => {
    const destination = await h.create({ transform: jsonata('payload') });
    const input = sampleEvent({ customerExternalId: CUSTOMER, payload: { zeta: 1, alpha: { b: 2, a: 1 }, mid: [3] } });
    const posted = await h.call('POST', '/v1/events', input);
    expect(posted.statusCode).toBe(202);
    const stored = await preview(destination.id, { eventId: posted.json().id });
    const asIf = await preview(destination.id, { event: input });
    expect(stored.body).toBe('{"mid":[3],"zeta":1,"alpha":{"a":1,"b":2}}');
    expect(asIf.body).toBe(stored.body);
    expect(stored.attributes.eventId).toBe(posted.json().id);
  });

  it("answers 404 for an unknown event, another customer's event, or another tenant's destination", async () => {
    const destination = await h.create();
    const unknown = await h.call('POST', `/v1/destinations/${destination.id}/preview`, {
      eventId: '019a5c1e-7b2f-7c3e-9d41-1f2e3a4b5c6d',
    });
    expect(unknown.statusCode).toBe(404);
    const other = await h.call('POST', '/v1/events', sampleEvent({ customerExternalId: 'someone-else' }));
    const otherCustomer = await h.call('POST', `/v1/destinations/${destination.id}/preview`, {
      eventId: other.json().id,
    });
    expect(otherCustomer.statusCode).toBe(404);
    const tenantB = await h.stack.createKey((await h.stack.createTenant('B')).id, ['admin']);
    const foreign = await h.call(
      'POST',
      `/v1/destinations/${destination.id}/preview`,
      { event: sampleEvent() },
      tenantB.auth,
    );
    expect(foreign.statusCode).toBe(404);
  });
});

describe('a transform that fails', () => {
  it.each([
    ['raises an error', '$error("no refunds")', 'no refunds'],
    ['yields nothing', 'payload.missing', 'yielded nothing'],
    ['loops', '($f := function($n) { $f($n + 1) }; $f(0))', 'time budget'],
    ['blocks on a regular expression', '$match("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", /^(a+)+$/)', 'time budget'],
  ])('answers 200 with an error when it %s', async (_case, expression, message) => {
    const destination = await h.create({ transform: jsonata(expression) });
    const result = await preview(destination.id, { event: sampleEvent({ customerExternalId: CUSTOMER }) });
    expect(result).toEqual({ error: { code: 'transform_failed', message: expect.stringContaining(message) } });
  });
});

describe('a bad preview request', () => {
  it.each([
    ['neither event nor eventId', {}, 'body'],
    ['both', { event: sampleEvent(), eventId: '019a5c1e-7b2f-7c3e-9d41-1f2e3a4b5c6d' }, 'body'],
    ['an invalid event', { event: sampleEvent({ occurredAt: 'yesterday' }) }, 'event.occurredAt'],
    ['an unknown field', { event: sampleEvent(), send: true }, 'send'],
  ])('answers 400 for %s', async (_case, body, path) => {
    const destination = await h.create();
    const response = await h.call('POST', `/v1/destinations/${destination.id}/preview`, body);
    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe('validation_failed');
    expect(errorPaths(response)).toContain(path);
  });
});
