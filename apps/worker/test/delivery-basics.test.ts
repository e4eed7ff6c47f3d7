import type { Message } from '@aws-sdk/client-sqs';
import { collectMessages, readStream, receiveAll } from '@sluice/testing/aws-test-resources';
import { type DeliveryFixture, FIXTURE_CUSTOMER, startDeliveryFixture } from '@sluice/testing/delivery-fixture';
import { sampleEvent, waitFor } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let fx: DeliveryFixture;
beforeAll(async () => {
  fx = await startDeliveryFixture();
});
afterAll(() => fx.close());

const collect = (queueUrl: string, count: number, timeoutMs = 10_000) =>
  collectMessages(fx.aws.sqs, queueUrl, count, { timeoutMs });

const attribute = (message: Message, name: string) => message.MessageAttributes?.[name]?.StringValue;

describe('delivery to a standard SQS queue', () => {
  it('delivers the event JSON with its message attributes, and records the delivery', async () => {
    const { id: destinationId, queueUrl, post, customerExternalId } = await fx.sqsDestination('orders');
    const eventId = await post({ idempotencyKey: 'order-1-completed' });
    const [message] = await collect(queueUrl, 1);
    const body = JSON.parse(message!.Body!);
    expect(body).toMatchObject({
      id: eventId,
      eventType: 'order.completed',
      customerExternalId,
      idempotencyKey: 'order-1-completed',
      correlationId: 'req_4f30b2',
      payload: { orderId: 'ord_38a91f', amount: 12900 },
      receivedAt: expect.any(String),
    });
    expect(attribute(message!, 'eventType')).toBe('order.completed');
    expect(attribute(message!, 'eventId')).toBe(eventId);
    expect(attribute(message!, 'source')).toBe('billing-service');
    expect(attribute(message!, 'customerExternalId')).toBe(customerExternalId);
    expect(attribute(message!, 'correlationId')).toBe('req_4f30b2');

    const event = await waitFor(async () => {
      const answer = (
        await fx.stack.app.inject({ method: 'GET', url: `/v1/events/${eventId}`, headers: fx.auth })
      ).json();
      return answer.deliveries[0]?.status === 'delivered' ? answer : undefined;
    });
    expect(event.deliveries).toEqual([{ id: expect.any(String), destinationId, status: 'delivered' }]);
    const delivery = (
      await fx.stack.app.inject({ method: 'GET', url: `/v1/deliveries/${event.deliveries[0].id}`, headers: fx.auth })
    ).json();
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 1, lastError: null, nextAttemptAt: null });
    expect(delivery.attemptLog).toEqual([
      expect.objectContaining({ n: 1, outcome: 'delivered', providerMessageId: message!.MessageId }),
    ]);
  });

  it('delivers only to destinations whose eventTypes match, of the same customer', async () => {
    const orders = await fx.sqsDestination('globbed', {
      eventTypes: ['order.*'],
      customerExternalId: FIXTURE_CUSTOMER,
    });
    const invoices = await fx.sqsDestination('exact', {
      eventTypes: ['invoice.paid'],
      customerExternalId: FIXTURE_CUSTOMER,
    });
    const other = await fx.sqsDestination('other-customer', { customerExternalId: 'someone-else' });
    await fx.postEvent({ eventType: 'order.line.added' });
    await fx.postEvent({ eventType: 'invoice.paid' });
    await fx.postEvent({ eventType: 'invoice.voided' });
    const orderMessages = await collect(orders.queueUrl, 1);
    const invoiceMessages = await collect(invoices.queueUrl, 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(
      [...orderMessages, ...(await receiveAll(fx.aws.sqs, orders.queueUrl))].map((m) => attribute(m, 'eventType')),
    ).toEqual(['order.line.added']);
    expect(
      [...invoiceMessages, ...(await receiveAll(fx.aws.sqs, invoices.queueUrl))].map((m) => attribute(m, 'eventType')),
    ).toEqual(['invoice.paid']);
    expect(await receiveAll(fx.aws.sqs, other.queueUrl)).toEqual([]);
  });

  it('delivers a duplicate POST once', async () => {
    const { queueUrl, customerExternalId } = await fx.sqsDestination('dupes');
    const event = sampleEvent({ idempotencyKey: 'only-once', customerExternalId });
    const send = () => fx.stack.app.inject({ method: 'POST', url: '/v1/events', headers: fx.auth, payload: event });
    const first = (await send()).json();
    expect((await send()).json()).toEqual({ id: first.id, status: 'accepted', duplicate: true });
    await collect(queueUrl, 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await receiveAll(fx.aws.sqs, queueUrl)).toEqual([]);
  });
});

describe('delivery to SNS and Kinesis', () => {
  it('publishes to an SNS topic with the message attributes', async () => {
    const { queueUrl, post } = await fx.snsDestination('topic');
    const eventId = await post();
    const [message] = await collect(queueUrl, 1);
    expect(JSON.parse(message!.Body!).id).toBe(eventId);
    expect(attribute(message!, 'eventId')).toBe(eventId);
  });

  it('puts records on a Kinesis stream, partitioned by customerExternalId', async () => {
    const { streamName, post, customerExternalId } = await fx.kinesisDestination('stream');
    const eventId = await post();
    const records = await waitFor(async () => {
      const read = await readStream(fx.aws.kinesis, streamName);
      return read.length > 0 ? read : undefined;
    });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ partitionKey: customerExternalId });
    expect(JSON.parse(records[0]!.data).id).toBe(eventId);
  });
});
