import { newId } from '@sluice/db/ids';
import { createDeliveryQueue } from '@sluice/db/repositories/delivery-queue';
import { defaultMaintenanceOptions } from '@sluice/delivery/destination-maintenance';
import { collectMessages, receiveAll } from '@sluice/testing/aws-test-resources';
import { type DeliveryFixture, startDeliveryFixture } from '@sluice/testing/delivery-fixture';
import { waitFor } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * DELETE of a destination never does the backlog's work inside the request: the answer comes
 * first, then a background job dead-letters the pending deliveries a bounded batch per
 * transaction. A send in flight at that moment ends delivered or dead, never both, and nothing
 * is sent after the answer. Workers start only once the first test has its answer.
 */

let fx: DeliveryFixture;
beforeAll(async () => {
  fx = await startDeliveryFixture({ faults: true, workers: false });
});
afterAll(() => fx.close());

const workers = () => fx.stack.workers ?? fx.stack.startWorkers();
const sql = async (text: string, values: unknown[]) => (await fx.stack.database.pool.query(text, values)).rows;
const count = async (text: string, destinationId: string) => Number((await sql(text, [destinationId]))[0].n);
const inLine = (id: string) => count('select count(*) as n from delivery_queue where destination_id = $1', id);
const groupsOf = (id: string) => count('select count(*) as n from fifo_groups where destination_id = $1', id);
const remove = (id: string) =>
  fx.stack.app.inject({ method: 'DELETE', url: `/v1/destinations/${id}`, headers: fx.auth });

/** The deliveries of a destination in accept order, with their dead-letter entry if any. */
const deliveriesOf = (destinationId: string) =>
  sql(
    `select d.event_id, d.status, d.attempts, d.last_error->>'code' as error, q.reason, q.state
     from deliveries d left join dlq_entries q on q.delivery_id = d.id
     where d.destination_id = $1 order by d.order_seq`,
    [destinationId],
  );

/**
 * A backlog staged quickly: the events in one INSERT, then their deliveries, queue rows and
 * FIFO groups written by the fan-out's own statement (a fan-out of 20,000 would take minutes).
 */
async function stageBacklog(destinationId: string, customerExternalId: string, size: number, groups: number) {
  const events = await sql(
    `insert into events (id, tenant_id, idempotency_key, request_hash, event_type, occurred_at, source,
                         customer_external_id, payload, bytes)
     select gen_random_uuid(), $1, $2 || n, 'staged', 'order.completed', now(), 'billing', $3,
            jsonb_build_object('group', 'g' || (n % $4), 'n', n), 32
     from generate_series(1, $5) as n
     returning id, seq, payload->>'group' as ordering_key`,
    [fx.tenantId, `${destinationId}-`, customerExternalId, groups, size],
  );
  const expiresAt = new Date(Date.now() + 86_400_000);
  const planned = events.map((event) => ({
    id: newId(),
    eventId: event.id,
    destinationId,
    orderingKey: event.ordering_key,
    orderSeq: Number(event.seq),
    expiresAt,
    bytes: 32,
  }));
  return createDeliveryQueue().enqueueFanOut(fx.stack.database.executor, fx.tenantId, planned, []);
}

describe('DELETE of a destination with a backlog', () => {
  it('answers 204 with 20,000 deliveries still pending, then dead-letters them all in bounded batches', async () => {
    const backlog = 20_000;
    const { batchSize } = defaultMaintenanceOptions;
    const { id, customerExternalId } = await fx.sqsDestination('backlog.fifo', {
      config: { messageGroupIdField: 'payload.group' },
    });
    expect(await stageBacklog(id, customerExternalId, backlog, 20)).toBe(backlog);

    expect((await remove(id)).statusCode).toBe(204);
    // No worker runs yet, so whatever the request did, it moved none of the backlog itself.
    expect(
      await sql('select status, count(*)::int as n from deliveries where destination_id = $1 group by 1', [id]),
    ).toEqual([{ status: 'pending', n: backlog }]);
    expect(await inLine(id)).toBe(backlog);
    expect(await count('select count(*) as n from dlq_entries where destination_id = $1', id)).toBe(0);

    workers();
    await waitFor(async () => (await inLine(id)) === 0 && (await groupsOf(id)) === 0, 180_000);
    const outcome = await sql(
      `select d.status, q.reason, d.last_error->>'code' as error, count(*)::int as n, count(q.id)::int as entries
       from deliveries d left join dlq_entries q on q.delivery_id = d.id
       where d.destination_id = $1 group by 1, 2, 3`,
      [id],
    );
    // Every delivery dead with exactly one entry: none lost, none twice.
    expect(outcome).toEqual([
      { status: 'dead', reason: 'destination_deleted', error: 'destination_deleted', n: backlog, entries: backlog },
    ]);
    expect(await count('select count(*) as n from dlq_entries where destination_id = $1', id)).toBe(backlog);
    // Each transaction stamps its rows with its own now(): one stamp per batch, none over the size.
    const batches = await sql(
      'select updated_at, count(*)::int as n from deliveries where destination_id = $1 group by updated_at',
      [id],
    );
    expect(batches.length).toBeGreaterThanOrEqual(backlog / batchSize);
    expect(Math.max(...batches.map((batch) => batch.n))).toBeLessThanOrEqual(batchSize);
  }, 240_000);
});

describe('a send in flight when its destination is deleted', () => {
  it('ends delivered, and the deliveries behind it end dead without being sent', async () => {
    workers();
    const { id, queueUrl, post } = await fx.sqsDestination('in-flight.fifo', {
      config: { messageGroupIdField: 'payload.group' },
    });
    fx.proxy!.clear();
    fx.proxy!.inject({ action: 'SendMessageBatch', fault: { kind: 'delay', ms: 3_000 } });
    const events: string[] = [];
    for (let n = 1; n <= 3; n++) events.push(await post({ payload: { group: 'g', n } }));
    // The group's head is on its way to SQS (held by the proxy), the other two wait behind it.
    await waitFor(async () => fx.proxy!.requests.some((request) => request.fault === 'delay'));
    await waitFor(async () => (await deliveriesOf(id)).length === 3);

    expect((await remove(id)).statusCode).toBe(204);
    const settled = await waitFor(async () => {
      const rows = await deliveriesOf(id);
      return rows.every((row) => row.status !== 'pending') && (await inLine(id)) === 0 ? rows : undefined;
    }, 20_000);
    expect(settled.map((row) => [row.event_id, row.status, row.reason])).toEqual([
      [events[0], 'delivered', null],
      [events[1], 'dead', 'destination_deleted'],
      [events[2], 'dead', 'destination_deleted'],
    ]);
    const arrived = await collectMessages(fx.aws.sqs, queueUrl, 1);
    expect(arrived.map((message) => JSON.parse(message.Body!).id)).toEqual([events[0]]);
    expect(fx.proxy!.requests.filter((request) => request.action === 'SendMessageBatch')).toHaveLength(1);
  }, 60_000);

  it('ends dead when the send in flight then fails, and is never sent again', async () => {
    workers();
    const { id, queueUrl, post } = await fx.sqsDestination('in-flight-failing');
    fx.proxy!.clear();
    fx.proxy!.inject({
      action: 'SendMessageBatch',
      fault: { kind: 'error', status: 500, code: 'InternalError', afterMs: 2_000 },
    });
    const eventId = await post();
    await waitFor(async () => fx.proxy!.requests.some((request) => request.fault === 'error'));

    expect((await remove(id)).statusCode).toBe(204);
    // Its drain hands it back for a retry; the purge, which waited for it, then dead-letters it.
    const settled = await waitFor(async () => {
      const rows = await deliveriesOf(id);
      return rows[0]?.status === 'dead' ? rows : undefined;
    }, 20_000);
    expect(settled).toEqual([
      {
        event_id: eventId,
        status: 'dead',
        attempts: 1,
        error: 'destination_deleted',
        reason: 'destination_deleted',
        state: 'open',
      },
    ]);
    expect(await inLine(id)).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await receiveAll(fx.aws.sqs, queueUrl)).toEqual([]);
    expect(fx.proxy!.requests.filter((request) => request.action === 'SendMessageBatch')).toHaveLength(1);
  }, 60_000);
});
