import { type ClaimedDelivery, createDeliveryClaims } from '@sluice/db/repositories/delivery-claims';
import { createDeliveryOutcomes, type RecordedOutcome } from '@sluice/db/repositories/delivery-outcomes';
import { sampleEvent, startTestStack, type TestStack } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let stack: TestStack;
let destinationId: string;
let fifoDestinationId: string;
let tenantId: string;

beforeAll(async () => {
  stack = await startTestStack();
  tenantId = (await stack.createTenant()).id;
  const { auth } = await stack.createKey(tenantId, ['admin']);
  const created = await stack.app.inject({
    method: 'POST',
    url: '/v1/destinations',
    headers: auth,
    payload: {
      name: 'claims',
      customerExternalId: 'claims',
      type: 'sqs',
      config: { queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/claims' },
      auth: { mode: 'assume_role', roleArn: 'arn:aws:iam::123456789012:role/claims' },
    },
  });
  destinationId = created.json().id;
  const fifo = await stack.app.inject({
    method: 'POST',
    url: '/v1/destinations',
    headers: auth,
    payload: {
      name: 'claims fifo',
      customerExternalId: 'claims',
      type: 'sqs',
      config: { queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/claims.fifo' },
      auth: { mode: 'assume_role', roleArn: 'arn:aws:iam::123456789012:role/claims' },
    },
  });
  fifoDestinationId = fifo.json().id;
});
afterAll(() => stack.close());

/**
 * A delivery in line, staged as the fan-out writes it (no workers run here): the delivery, its
 * queue row and, on a FIFO destination, its group.
 */
async function pendingDelivery(destination: string, orderingKey: string | null): Promise<string> {
  const { auth } = await stack.createKey(tenantId, ['ingest']);
  const event = await stack.app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: auth,
    payload: sampleEvent({ customerExternalId: 'claims' }),
  });
  const { rows } = await stack.database.pool.query(
    `with e as (select * from events where id = $1),
     fanned as (delete from event_outbox where event_id = $1),
     d as (
       insert into deliveries (id, tenant_id, event_id, destination_id, ordering_key, order_seq, expires_at)
       select gen_random_uuid(), tenant_id, id, $2, $3, seq, now() + interval '1 day' from e
       returning id, tenant_id, order_seq, expires_at
     ),
     q as (
       insert into delivery_queue (destination_id, delivery_id, tenant_id, ordering_key, order_seq, bytes, expires_at)
       select $2, id, tenant_id, $3, order_seq, 10, expires_at from d
     ),
     g as (
       insert into fifo_groups (destination_id, ordering_key, tenant_id, tail_seq)
       select $2, $3, tenant_id, order_seq from d where $3::text is not null
       on conflict (destination_id, ordering_key) do update set tail_seq = greatest(fifo_groups.tail_seq, excluded.tail_seq)
     )
     select id from d`,
    [event.json().id, destination, orderingKey],
  );
  return rows[0].id;
}

const row = async (id: string) =>
  (await stack.database.pool.query('select status, attempts from deliveries where id = $1', [id])).rows[0];

const limits = { rows: 10, bytes: 1_000_000, leaseMs: 60_000 };

function outcome(claimed: ClaimedDelivery, kind: 'delivered' | 'dead'): RecordedOutcome {
  const facts = {
    deliveryId: claimed.id,
    claimId: claimed.claimId,
    attemptNo: claimed.attempts + 1,
    at: new Date(),
    durationMs: 1,
    orderingKey: claimed.orderingKey,
    orderSeq: claimed.orderSeq,
    replayed: false,
    event: {
      id: claimed.event.id,
      eventType: claimed.event.eventType,
      customerExternalId: claimed.event.customerExternalId,
      receivedAt: claimed.event.receivedAt,
    },
  };
  if (kind === 'delivered') return { ...facts, kind };
  return {
    ...facts,
    kind,
    error: { code: 'X', message: 'x', at: new Date().toISOString() },
    reason: 'permanent_error',
  };
}

describe('claims and outcomes', () => {
  it.each([
    ['a standard destination', () => destinationId, null, 'delivery_queue'],
    ['a FIFO destination', () => fifoDestinationId, 'group-1', 'fifo_groups'],
  ] as const)(
    "on %s, ignores the late outcome of a claim whose lease ran out, and records the current claim's",
    async (_case, destination, orderingKey, leaseTable) => {
      const id = await pendingDelivery(destination(), orderingKey);
      const claims = createDeliveryClaims(stack.database.executor);
      const outcomes = createDeliveryOutcomes(stack.database.executor);
      const target = { id: destination(), tenantId, customerExternalId: 'claims' };
      const claim = () =>
        orderingKey === null ? claims.claimDue(destination(), limits) : claims.claimGroupHeads(target, limits);

      const [first] = (await claim()).filter((c) => c.id === id);
      expect(first).toBeDefined();
      // The first worker stalls past its lease; a second worker claims the delivery again.
      await stack.database.pool.query(
        `update ${leaseTable} set due_at = now() - interval '1 s' where destination_id = $1`,
        [destination()],
      );
      const [second] = (await claim()).filter((c) => c.id === id);
      expect(second!.claimId).not.toBe(first!.claimId);

      expect((await outcomes.record(target, [outcome(first!, 'dead')])).size).toBe(0);
      expect(await row(id)).toEqual({ status: 'pending', attempts: 0 });
      const entries = await stack.database.pool.query('select * from dlq_entries where delivery_id = $1', [id]);
      expect(entries.rows).toEqual([]);

      expect([...(await outcomes.record(target, [outcome(second!, 'delivered')]))]).toEqual([id]);
      expect(await row(id)).toEqual({ status: 'delivered', attempts: 1 });
      const left = await stack.database.pool.query(
        'select count(*)::int as n from delivery_queue where delivery_id = $1',
        [id],
      );
      expect(left.rows[0].n).toBe(0);
    },
  );

  it('removes a FIFO group once its last turn is done, but not while a later turn is in line', async () => {
    const claims = createDeliveryClaims(stack.database.executor);
    const outcomes = createDeliveryOutcomes(stack.database.executor);
    const target = { id: fifoDestinationId, tenantId, customerExternalId: 'claims' };
    const groups = async () =>
      (
        await stack.database.pool.query(
          'select ordering_key from fifo_groups where destination_id = $1 and ordering_key = $2',
          [fifoDestinationId, 'group-2'],
        )
      ).rows;
    const firstId = await pendingDelivery(fifoDestinationId, 'group-2');
    const secondId = await pendingDelivery(fifoDestinationId, 'group-2');
    const [head] = (await claims.claimGroupHeads(target, limits)).filter((c) => c.orderingKey === 'group-2');
    expect(head?.id).toBe(firstId);
    await outcomes.record(target, [outcome(head!, 'delivered')]);
    const [next] = (await claims.claimGroupHeads(target, limits)).filter((c) => c.orderingKey === 'group-2');
    expect(next?.id).toBe(secondId);
    await outcomes.record(target, [outcome(next!, 'delivered')]);
    expect(await groups()).toHaveLength(1);
    // The next claim finds the group empty with its tail done: it goes.
    expect((await claims.claimGroupHeads(target, limits)).filter((c) => c.orderingKey === 'group-2')).toEqual([]);
    expect(await groups()).toHaveLength(0);
  });
});
