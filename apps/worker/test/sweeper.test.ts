import { sampleEvent, startTestStack, type TestStack, waitFor } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let stack: TestStack;
let auth: { authorization: string };

beforeAll(async () => {
  stack = await startTestStack();
  auth = (await stack.createKey((await stack.createTenant()).id, ['ingest'])).auth;
});
afterAll(() => stack.close());

const unfanned = async (ids: string[]) =>
  Number(
    (await stack.database.pool.query('select count(*) from event_outbox where event_id = any($1)', [ids])).rows[0]
      .count,
  );

describe('sweeper', () => {
  it('re-enqueues accepted events after Redis loses its data (FLUSHALL)', async () => {
    // Accepted while no worker runs: their tenant's wake-up waits in Redis...
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      ids.push(
        (await stack.app.inject({ method: 'POST', url: '/v1/events', headers: auth, payload: sampleEvent() })).json()
          .id,
      );
    }
    // ...(once the API's debounced wake-up went out) and then Redis forgets them.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await stack.redis.flushall();
    const workers = stack.startWorkers();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await unfanned(ids)).toBe(20);

    const swept = await workers.sweeper.sweepOnce();
    expect(swept.tenants).toBeGreaterThanOrEqual(1);
    await waitFor(async () => (await unfanned(ids)) === 0);
  });

  it('finds nothing to wake once every event is fanned out', async () => {
    const id = (
      await stack.app.inject({ method: 'POST', url: '/v1/events', headers: auth, payload: sampleEvent() })
    ).json().id;
    await waitFor(async () => (await unfanned([id])) === 0);
    const swept = await stack.workers!.sweeper.sweepOnce();
    expect(swept.tenants).toBe(0);
  });

  it('dead-letters pending deliveries of a destination deleted while a fan-out made them', async () => {
    const admin = (await stack.createKey((await stack.createTenant('Orphans')).id, ['admin', 'ingest'])).auth;
    const created = await stack.app.inject({
      method: 'POST',
      url: '/v1/destinations',
      headers: admin,
      payload: {
        name: 'orphaned',
        customerExternalId: 'orphan-customer',
        type: 'sqs',
        config: { queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/orphans' },
        auth: { mode: 'assume_role', roleArn: 'arn:aws:iam::123456789012:role/orphans' },
        enabled: false,
      },
    });
    const destinationId = created.json().id;
    const eventId = (
      await stack.app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: admin,
        payload: sampleEvent({ customerExternalId: 'orphan-customer' }),
      })
    ).json().id;
    // The race, staged: a delivery in line for a destination whose DELETE already committed
    // (and whose background job Redis lost).
    await stack.database.pool.query(
      `with d as (
         insert into deliveries (id, tenant_id, event_id, destination_id, order_seq, expires_at)
         select gen_random_uuid(), tenant_id, id, $2, seq, now() + interval '1 day' from events where id = $1
         returning id, tenant_id, order_seq, expires_at
       )
       insert into delivery_queue (destination_id, delivery_id, tenant_id, order_seq, bytes, expires_at)
       select $2, id, tenant_id, order_seq, 10, expires_at from d`,
      [eventId, destinationId],
    );
    await stack.database.pool.query('update destinations set deleted_at = now() where id = $1', [destinationId]);

    expect((await stack.workers!.sweeper.sweepOnce()).purges).toBe(1);
    const rows = await waitFor(async () => {
      const found = await stack.database.pool.query(
        'select d.status, q.reason from deliveries d join dlq_entries q on q.delivery_id = d.id where d.destination_id = $1',
        [destinationId],
      );
      return found.rows.length > 0 ? found.rows : undefined;
    });
    expect(rows).toEqual([{ status: 'dead', reason: 'destination_deleted' }]);
  });
});
