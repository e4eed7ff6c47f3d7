import type { Message } from '@aws-sdk/client-sqs';
import { collectMessages, readStream } from '@sluice/testing/aws-test-resources';
import { type DeliveryFixture, startDeliveryFixture } from '@sluice/testing/delivery-fixture';
import { waitFor } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Transforms through the real API, workers, PostgreSQL and emulators: what arrives per type, a
 * failing, a looping and a blocking expression dead-lettered with transform_failed while the
 * drain (and its FIFO group) goes on, a replay after the expression is fixed, and the size
 * limit applied to the transformed body.
 */

let fx: DeliveryFixture;
beforeAll(async () => {
  fx = await startDeliveryFixture();
});
afterAll(() => fx.close());

const jsonata = (expression: string) => ({ language: 'jsonata' as const, expression });
const RENAME = jsonata('{ "order": payload.orderId, "cents": payload.amount, "event": id, "type": eventType }');
/** RENAME's result for fixture.post()'s sample event. */
const renamed = (eventId: string) => ({ order: 'ord_38a91f', cents: 12900, event: eventId, type: 'order.completed' });
const api = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
  fx.stack.app.inject({ method, url, headers: fx.auth, ...(payload ? { payload } : {}) });
const attribute = (message: Message | undefined, name: string) => message?.MessageAttributes?.[name]?.StringValue;

const dlqOf = async (destinationId: string, count: number) =>
  waitFor(async () => {
    const list = (await api('GET', `/v1/dlq?destinationId=${destinationId}`)).json();
    return list.data.length >= count ? list.data : undefined;
  }, 20_000);

describe('a transform shapes what arrives, for every destination type', () => {
  it('SQS FIFO and SNS: the transformed body; attributes, group and deduplication ids from the event', async () => {
    const queue = await fx.sqsDestination('shaped.fifo', {
      transform: RENAME,
      config: { messageGroupIdField: 'payload.orderId' },
    });
    const topic = await fx.snsDestination('shaped-topic', { transform: RENAME });
    const queued = await queue.post({ idempotencyKey: 'order-1-completed' });
    const published = await topic.post();

    const [message] = await collectMessages(fx.aws.sqs, queue.queueUrl, 1);
    expect(message?.Body).toBe(JSON.stringify(renamed(queued)));
    expect(attribute(message, 'eventId')).toBe(queued);
    expect(attribute(message, 'customerExternalId')).toBe(queue.customerExternalId);
    expect(message?.Attributes).toMatchObject({
      MessageGroupId: 'ord_38a91f',
      MessageDeduplicationId: 'order-1-completed',
    });

    const [fromTopic] = await collectMessages(fx.aws.sqs, topic.queueUrl, 1);
    expect(JSON.parse(fromTopic?.Body ?? '{}')).toEqual(renamed(published));
    expect(attribute(fromTopic, 'eventType')).toBe('order.completed');
  });

  it('Kinesis and EventBridge: the transformed Data and Detail; partition key, Source and DetailType from the event', async () => {
    const stream = await fx.kinesisDestination('shaped-stream', { transform: jsonata('payload') });
    const bus = await fx.eventBridgeDestination('shaped-bus', { transform: RENAME });
    await stream.post();
    const onBus = await bus.post({ source: 'billing-service' });

    const records = await waitFor(async () => {
      const read = await readStream(fx.aws.kinesis, stream.streamName);
      return read.length > 0 ? read : undefined;
    });
    expect(records).toEqual([
      expect.objectContaining({
        data: '{"amount":12900,"orderId":"ord_38a91f"}',
        partitionKey: stream.customerExternalId,
      }),
    ]);

    const [event] = await waitFor(async () => {
      const arrived = fx.aws.eventBridge.events(bus.eventBusArn);
      return arrived.length > 0 ? arrived : undefined;
    });
    expect(event).toMatchObject({
      source: 'billing-service',
      'detail-type': 'order.completed',
      time: '2026-05-26T14:21:08Z',
      detail: renamed(onBus),
    });
  });
});

describe('a transform that fails', () => {
  it('dead-letters each failing, looping or blocking delivery with transform_failed, and the FIFO group goes on', async () => {
    const destination = await fx.sqsDestination('failing.fifo', {
      transform: jsonata(`
        payload.mode = "error" ? $error("bad order " & payload.orderId)
        : payload.mode = "loop" ? ($f := function($n) { $f($n + 1) }; $f(0))
        : payload.mode = "block" ? $match(payload.text, /^(a+)+$/)
        : payload.mode = "nothing" ? payload.missing
        : { "order": payload.orderId }`),
    });
    const modes = ['ok', 'error', 'loop', 'block', 'nothing', 'ok'];
    const ids: string[] = [];
    for (const [n, mode] of modes.entries()) {
      ids.push(await destination.post({ payload: { orderId: `ord_${n}`, mode, text: `${'a'.repeat(40)}!` } }));
    }

    // One group, in order: the messages after the dead ones still arrive.
    const messages = await collectMessages(fx.aws.sqs, destination.queueUrl, 2, { timeoutMs: 20_000 });
    expect(messages.map((message) => message.Body)).toEqual(['{"order":"ord_0"}', '{"order":"ord_5"}']);

    const dead = await dlqOf(destination.id, 4);
    const byEvent = new Map(dead.map((entry: { eventId: string }) => [entry.eventId, entry]));
    const expectations: Array<[string | undefined, string]> = [
      [ids[1], 'bad order ord_1'],
      [ids[2], 'time budget'],
      [ids[3], 'time budget'],
      [ids[4], 'yielded nothing'],
    ];
    for (const [eventId, message] of expectations) {
      expect(byEvent.get(eventId ?? '')).toMatchObject({
        reason: 'transform_failed',
        attempts: 1,
        lastError: { code: 'transform_failed', message: expect.stringContaining(message) },
      });
    }
    const [entry] = dead;
    const detail = (await api('GET', `/v1/dlq/${entry.id}`)).json();
    expect(detail.attemptLog).toEqual([
      expect.objectContaining({ n: 1, outcome: 'permanent_error', errorCode: 'transform_failed' }),
    ]);
  });

  it('replays a dead delivery with the expression PATCHed since', async () => {
    const destination = await fx.sqsDestination('fixed', { transform: jsonata('$error("not ready")') });
    const eventId = await destination.post();
    const [entry] = await dlqOf(destination.id, 1);
    expect(entry).toMatchObject({ eventId, reason: 'transform_failed' });

    const patched = await api('PATCH', `/v1/destinations/${destination.id}`, { transform: RENAME });
    expect(patched.statusCode).toBe(200);
    expect((await api('POST', `/v1/dlq/${entry.id}/replay`)).statusCode).toBe(202);

    const [message] = await collectMessages(fx.aws.sqs, destination.queueUrl, 1);
    expect(JSON.parse(message?.Body ?? '{}')).toEqual(renamed(eventId));
    await waitFor(async () => (await api('GET', `/v1/dlq/${entry.id}`)).json().state === 'resolved');
    expect((await api('GET', `/v1/deliveries/${entry.deliveryId}`)).json()).toMatchObject({
      status: 'delivered',
      attempts: 2,
    });
  });
});

describe('the size limit applies to the transformed body', () => {
  it('delivers an event too large for a topic once its large field is dropped, and dead-letters one the transform inflates', async () => {
    const blob = 'b'.repeat(300_000);
    const plain = await fx.snsDestination('too-large');
    const slimmed = await fx.snsDestination('slimmed', {
      customerExternalId: plain.customerExternalId,
      transform: jsonata('$ ~> | payload | {}, ["blob"] |'),
    });
    const inflated = await fx.snsDestination('inflated', {
      customerExternalId: plain.customerExternalId,
      transform: jsonata('{ "padded": $pad("", 300000) }'),
    });
    const large = await plain.post({ payload: { orderId: 'ord_large', blob } });
    await plain.post({ payload: { orderId: 'ord_small' } });

    const bodies = (await collectMessages(fx.aws.sqs, slimmed.queueUrl, 2)).map((m) => JSON.parse(m.Body ?? '{}'));
    expect(bodies.find((body) => body.id === large)?.payload).toEqual({ orderId: 'ord_large' });
    for (const destination of [plain, inflated]) {
      const [entry] = await dlqOf(destination.id, 1);
      expect(entry).toMatchObject({ reason: 'payload_too_large' });
    }
    // The inflating transform makes even the small event too large; the plain topic takes the small one.
    expect((await dlqOf(inflated.id, 2)).map((entry: { reason: string }) => entry.reason)).toEqual([
      'payload_too_large',
      'payload_too_large',
    ]);
    const small = await collectMessages(fx.aws.sqs, plain.queueUrl, 1);
    expect(small.map((message) => JSON.parse(message.Body ?? '{}').payload)).toEqual([{ orderId: 'ord_small' }]);
  });
});
