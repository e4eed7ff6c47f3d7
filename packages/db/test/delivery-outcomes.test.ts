import { type ClaimedDelivery, createDeliveryClaims } from '@sluice/db/repositories/delivery-claims';
import { createDeliveryOutcomes, type RecordedOutcome } from '@sluice/db/repositories/delivery-outcomes';
import { sampleEvent, startTestStack, type TestStack, waitFor } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let stack: TestStack;
let destinationId: string;
let fifoDestinationId: string;
let tenantId: string;
let admin: { authorization: string };

/** A destination of customer `claims` on an SQS queue named `queue` (no worker runs: nothing is sent). */
async function createDestination(queue: string): Promise<string> {
  const created = await stack.app.inject({
    method: 'POST',
    url: '/v1/destinations',
    headers: admin,
    payload: {
      name: queue,
      customerExternalId: 'claims',
      type: 'sqs',
      config: { queueUrl: `https://sqs.us-east-1.amazonaws.com/123456789012/${queue}` },
      auth: { mode: 'assume_role', roleArn: 'arn:aws:iam::123456789012:role/claims' },
    },
  });
  return created.json().id;
}

beforeAll(async () => {
  stack = await startTestStack();
  tenantId = (await stack.createTenant()).id;
  admin = (await stack.createKey(tenantId, ['admin'])).auth;
  destinationId = await createDestination('claims');
  fifoDestinationId = await createDestination('claims.fifo');
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

/** The destination as a drain reads it: its id and version. */
async function current(
  id: string,
): Promise<{ id: string; tenantId: string; customerExternalId: string; updatedAt: Date }> {
  const { rows } = await stack.database.pool.query('select updated_at from destinations where id = $1', [id]);
  return { id, tenantId, customerExternalId: 'claims', updatedAt: rows[0].updated_at };
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
      const target = await current(destination());
      const claim = () =>
        orderingKey === null ? claims.claimDue(target, limits) : claims.claimGroupHeads(target, limits);

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
    const target = await current(fifoDestinationId);
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

describe('claims and changes to the destination', () => {
  const patch = (id: string, payload: Record<string, unknown>) =>
    stack.app.inject({ method: 'PATCH', url: `/v1/destinations/${id}`, headers: admin, payload });

  it('take nothing for a drain that read the destination before a PATCH, a regrouping one included', async () => {
    const claims = createDeliveryClaims(stack.database.executor);
    const standard = await createDestination('changed');
    const fifo = await createDestination('regrouped.fifo');
    const [queued, grouped] = [await pendingDelivery(standard, null), await pendingDelivery(fifo, 'claims')];
    const [standardAsRead, fifoAsRead] = [await current(standard), await current(fifo)];

    expect((await patch(standard, { name: 'renamed' })).statusCode).toBe(200);
    expect((await patch(fifo, { config: { messageGroupIdField: 'payload.orderId' } })).statusCode).toBe(200);
    expect(await claims.claimDue(standardAsRead, limits)).toEqual([]);
    expect(await claims.claimGroupHeads(fifoAsRead, limits)).toEqual([]);
    // Read again: the renamed one is claimed; the regrouping one waits for its regroup.
    expect((await claims.claimDue(await current(standard), limits)).map((c) => c.id)).toEqual([queued]);
    expect(await claims.claimGroupHeads(await current(fifo), limits)).toEqual([]);
    await stack.database.pool.query('update destinations set regrouping_at = null where id = $1', [fifo]);
    expect((await claims.claimGroupHeads(await current(fifo), limits)).map((c) => c.id)).toEqual([grouped]);
  });

  it('makes a claim that meets an uncommitted change wait for it, then take nothing', async () => {
    const claims = createDeliveryClaims(stack.database.executor);
    const fifo = await createDestination('paused.fifo');
    await pendingDelivery(fifo, 'claims');
    const asRead = await current(fifo);
    const pausing = await stack.database.pool.connect();
    try {
      await pausing.query('begin');
      await pausing.query('update destinations set paused_at = now(), updated_at = now() where id = $1', [fifo]);
      const { pid } = (await pausing.query('select pg_backend_pid() as pid')).rows[0];
      const claim = claims.claimGroupHeads(asRead, limits);
      await waitFor(async () => {
        const { rows } = await stack.database.pool.query(
          'select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))',
          [pid],
        );
        return rows[0].n > 0;
      });
      await pausing.query('commit');
      expect(await claim).toEqual([]);
    } finally {
      pausing.release();
    }
  });
});
