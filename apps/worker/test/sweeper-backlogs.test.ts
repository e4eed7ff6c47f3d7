import { collectMessages } from '@sluice/testing/aws-test-resources';
import { type DeliveryFixture, startDeliveryFixture } from '@sluice/testing/delivery-fixture';
import { waitFor } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Backlogs no request will ever wake, found by the sweeper in PostgreSQL: a destination deleted
 * days ago whose purge job Redis lost, and a disabled destination whose deliveries' retry window
 * ended. Ages are staged by moving timestamps back in SQL, not by waiting.
 */

let fx: DeliveryFixture;
beforeAll(async () => {
  fx = await startDeliveryFixture();
});
afterAll(() => fx.close());

const sql = async (text: string, values: unknown[]) => (await fx.stack.database.pool.query(text, values)).rows;
const call = (method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: Record<string, unknown>) =>
  fx.stack.app.inject({ method, url, headers: fx.auth, ...(payload ? { payload } : {}) });

const deliveriesOf = (destinationId: string) =>
  sql(
    `select d.event_id, d.status, d.last_error->>'code' as error, q.reason
     from deliveries d left join dlq_entries q on q.delivery_id = d.id
     where d.destination_id = $1 order by d.order_seq`,
    [destinationId],
  );

/** Posts `count` events to a paused destination and waits until the fan-out made their deliveries. */
async function heldBacklog(destination: { id: string; post(): Promise<string> }, count: number): Promise<string[]> {
  expect((await call('POST', `/v1/destinations/${destination.id}/pause`)).statusCode).toBe(200);
  const events: string[] = [];
  for (let n = 0; n < count; n++) events.push(await destination.post());
  await waitFor(async () => (await deliveriesOf(destination.id)).length === count);
  return events;
}

/** Moves deliveries (and their queue rows) back in time: accepted `ageHours` ago, window ended accordingly. */
async function age(eventIds: string[], ageHours: number, windowHours = 24) {
  const accepted = `now() - make_interval(hours => ${ageHours})`;
  const expires = `now() - make_interval(hours => ${ageHours - windowHours})`;
  await sql(
    `update deliveries set created_at = ${accepted}, updated_at = ${accepted}, expires_at = ${expires}
     where event_id = any($1)`,
    [eventIds],
  );
  await sql(
    `update delivery_queue q set expires_at = d.expires_at from deliveries d
     where d.id = q.delivery_id and d.event_id = any($1)`,
    [eventIds],
  );
}

describe('the sweeper', () => {
  it('dead-letters the backlog of a destination deleted ten days ago whose purge job was lost', async () => {
    const destination = await fx.sqsDestination('forgotten');
    const events = await heldBacklog(destination, 3);
    // No worker runs while the DELETE enqueues its purge job, and Redis then loses it.
    await fx.stack.workers!.close();
    expect((await call('DELETE', `/v1/destinations/${destination.id}`)).statusCode).toBe(204);
    await fx.stack.redis.flushall();
    await sql(
      `update destinations set deleted_at = now() - interval '10 days', updated_at = now() - interval '10 days'
       where id = $1`,
      [destination.id],
    );
    await age(events, 11 * 24);
    expect((await deliveriesOf(destination.id)).map((d) => d.status)).toEqual(['pending', 'pending', 'pending']);

    const workers = fx.stack.startWorkers();
    expect((await workers.sweeper.sweepOnce()).purges).toBeGreaterThanOrEqual(1);
    const settled = await waitFor(async () => {
      const rows = await deliveriesOf(destination.id);
      return rows.every((row) => row.status === 'dead') ? rows : undefined;
    });
    expect(settled).toEqual(
      events.map((eventId) => ({
        event_id: eventId,
        status: 'dead',
        error: 'destination_deleted',
        reason: 'destination_deleted',
      })),
    );
  });

  it('dead-letters a disabled destination’s deliveries once their retry window ends, and keeps the rest', async () => {
    const destination = await fx.sqsDestination('switched-off');
    const { id, queueUrl } = destination;
    const events = await heldBacklog(destination, 4);
    expect((await call('PATCH', `/v1/destinations/${id}`, { enabled: false })).json().status).toBe('disabled');
    expect((await call('POST', `/v1/destinations/${id}/resume`)).json().status).toBe('disabled');
    // The first two were accepted 25 hours ago: their 24-hour window ended an hour ago.
    const [expired, live] = [events.slice(0, 2), events.slice(2)];
    await age(expired, 25);

    expect((await fx.stack.workers!.sweeper.sweepOnce()).expiries).toBeGreaterThanOrEqual(1);
    const settled = await waitFor(async () => {
      const rows = await deliveriesOf(id);
      return rows.filter((row) => row.status === 'dead').length === expired.length ? rows : undefined;
    });
    expect(settled).toEqual([
      ...expired.map((eventId) => ({
        event_id: eventId,
        status: 'dead',
        error: 'destination_disabled',
        reason: 'retries_exhausted',
      })),
      ...live.map((eventId) => ({ event_id: eventId, status: 'pending', error: null, reason: null })),
    ]);

    // Enabled again, the deliveries still in their window go out; the expired ones do not.
    expect((await call('PATCH', `/v1/destinations/${id}`, { enabled: true })).json().status).toBe('active');
    const arrived = await collectMessages(fx.aws.sqs, queueUrl, live.length);
    expect(arrived.map((message) => JSON.parse(message.Body!).id).sort()).toEqual([...live].sort());
  });
});
