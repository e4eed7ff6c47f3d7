import type { Message } from '@aws-sdk/client-sqs';
import { receiveAll } from '@sluice/testing/aws-test-resources';
import { type DeliveryFixture, startDeliveryFixture } from '@sluice/testing/delivery-fixture';
import { waitFor } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * What the destination routes do to deliveries, with the real workers: pause holds them, resume
 * sends them in order, DELETE moves the pending ones to the dead-letter queue (checked in
 * dlq_entries: the DLQ routes are not built yet), disable and eventTypes decide the fan-out.
 */

let fx: DeliveryFixture;
beforeAll(async () => {
  fx = await startDeliveryFixture();
});
afterAll(() => fx.close());

const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: Record<string, unknown>) =>
  fx.stack.app.inject({ method, url, headers: fx.auth, ...(payload ? { payload } : {}) });

const sql = async (text: string, values: unknown[]) => (await fx.stack.database.pool.query(text, values)).rows;

/** The deliveries of a destination, in the order their events were accepted. */
const deliveriesOf = (destinationId: string) =>
  sql(
    `select d.id, d.status, d.attempts, d.last_error, e.id as event_id, e.idempotency_key
     from deliveries d join events e on e.id = d.event_id where d.destination_id = $1 order by e.id`,
    [destinationId],
  );

async function collect(queueUrl: string, count: number): Promise<Message[]> {
  const seen: Message[] = [];
  await waitFor(async () => {
    seen.push(...(await receiveAll(fx.aws.sqs, queueUrl)));
    return seen.length >= count;
  });
  return seen;
}

const keyOf = (message: Message) => JSON.parse(message.Body!).idempotencyKey;
const settle = () => new Promise((resolve) => setTimeout(resolve, 600));
let run = 0;

describe('pause and resume', () => {
  it('holds deliveries while paused and sends them in order after resume', async () => {
    const { id, queueUrl, post } = await fx.sqsDestination('held.fifo');
    const paused = await call('POST', `/v1/destinations/${id}/pause`);
    expect(paused.json()).toMatchObject({ status: 'paused', enabled: true });

    const keys = Array.from({ length: 6 }, (_, i) => `held-${++run}-${i}`);
    for (const key of keys) await post({ idempotencyKey: key });
    await waitFor(async () => (await deliveriesOf(id)).length === keys.length);
    await settle();
    expect(await receiveAll(fx.aws.sqs, queueUrl)).toEqual([]);
    const waiting = await deliveriesOf(id);
    expect(waiting.map((d) => [d.status, d.attempts])).toEqual(keys.map(() => ['pending', 0]));

    const resumed = await call('POST', `/v1/destinations/${id}/resume`);
    expect(resumed.json()).toMatchObject({ status: 'active' });
    const messages = await collect(queueUrl, keys.length);
    expect(messages.map(keyOf)).toEqual(keys);
    await waitFor(async () => (await deliveriesOf(id)).every((d) => d.status === 'delivered'));
  });
});

describe('DELETE', () => {
  it('dead-letters the pending deliveries with reason destination_deleted and leaves delivered ones', async () => {
    const { id, queueUrl, post, customerExternalId } = await fx.sqsDestination('doomed');
    const deliveredEvent = await post({ idempotencyKey: `doomed-${++run}-sent` });
    await collect(queueUrl, 1);
    await waitFor(async () => (await deliveriesOf(id))[0]?.status === 'delivered');

    await call('POST', `/v1/destinations/${id}/pause`);
    const pendingEvents = [
      await post({ idempotencyKey: `doomed-${run}-a`, eventType: 'order.completed' }),
      await post({ idempotencyKey: `doomed-${run}-b`, eventType: 'invoice.paid' }),
    ];
    await waitFor(async () => (await deliveriesOf(id)).length === 3);

    const deleted = await call('DELETE', `/v1/destinations/${id}`);
    expect(deleted.statusCode).toBe(204);

    // The backlog goes to the dead-letter queue in the background.
    const deliveries = await waitFor(async () => {
      const now = await deliveriesOf(id);
      return now.every((d) => d.status !== 'pending') ? now : undefined;
    });
    expect(deliveries.map((d) => [d.event_id, d.status])).toEqual([
      [deliveredEvent, 'delivered'],
      [pendingEvents[0], 'dead'],
      [pendingEvents[1], 'dead'],
    ]);
    expect(deliveries[1].last_error).toMatchObject({ code: 'destination_deleted' });
    const entries = await sql(
      `select tenant_id, delivery_id, event_id, customer_external_id, event_type, reason, state, attempts,
              last_error, replay_count
       from dlq_entries where destination_id = $1 order by event_id`,
      [id],
    );
    expect(entries).toEqual([
      expect.objectContaining({
        tenant_id: fx.tenantId,
        delivery_id: deliveries[1].id,
        event_id: pendingEvents[0],
        customer_external_id: customerExternalId,
        event_type: 'order.completed',
        reason: 'destination_deleted',
        state: 'open',
        attempts: 0,
        replay_count: 0,
        last_error: expect.objectContaining({ code: 'destination_deleted', message: expect.any(String) }),
      }),
      expect.objectContaining({
        delivery_id: deliveries[2].id,
        event_type: 'invoice.paid',
        reason: 'destination_deleted',
      }),
    ]);
    // The deliveries API agrees, and nothing more reaches the queue or the deleted destination.
    const listed = (await call('GET', `/v1/deliveries?destinationId=${id}&status=dead`)).json();
    expect(listed.data.map((d: { id: string }) => d.id).sort()).toEqual([deliveries[1].id, deliveries[2].id].sort());
    await post({ idempotencyKey: `doomed-${run}-after` });
    await settle();
    expect(await deliveriesOf(id)).toHaveLength(3);
    expect(await receiveAll(fx.aws.sqs, queueUrl)).toEqual([]);
  });
});

describe('enabled and eventTypes', () => {
  it('skips a disabled destination at fan-out and delivers again once enabled', async () => {
    const customerExternalId = `switched-${process.pid}`;
    const witness = await fx.sqsDestination('witness', { customerExternalId });
    const { id, queueUrl, post } = await fx.sqsDestination('switched', { customerExternalId });
    expect((await call('PATCH', `/v1/destinations/${id}`, { enabled: false })).json().status).toBe('disabled');
    const skipped = await post({ idempotencyKey: `switched-${++run}-off` });
    // The witness got the event: the fan-out ran, and passed the disabled destination by.
    await collect(witness.queueUrl, 1);
    expect((await deliveriesOf(id)).map((d) => d.event_id)).not.toContain(skipped);

    expect((await call('PATCH', `/v1/destinations/${id}`, { enabled: true })).json().status).toBe('active');
    await post({ idempotencyKey: `switched-${run}-on` });
    expect((await collect(queueUrl, 1)).map(keyOf)).toEqual([`switched-${run}-on`]);
  });

  it('routes by the eventTypes of the moment: exact names and * globs', async () => {
    const destination = await fx.sqsDestination('routed', { eventTypes: ['order.*'] });
    const { id, queueUrl } = destination;
    const post = (eventType: string) => destination.post({ eventType, idempotencyKey: `routed-${++run}-${eventType}` });
    await post('order.completed');
    await post('invoice.paid');
    expect((await collect(queueUrl, 1)).map((m) => JSON.parse(m.Body!).eventType)).toEqual(['order.completed']);

    await call('PATCH', `/v1/destinations/${id}`, { eventTypes: ['invoice.paid', '*.refunded'] });
    for (const eventType of ['order.shipped', 'invoice.paid', 'invoice.voided', 'order.refunded'])
      await post(eventType);
    const routed = await collect(queueUrl, 2);
    await settle();
    routed.push(...(await receiveAll(fx.aws.sqs, queueUrl)));
    expect(routed.map((m) => JSON.parse(m.Body!).eventType).sort()).toEqual(['invoice.paid', 'order.refunded']);
  });
});
