import { whileHoldingRetentionLock } from '@sluice/db/repositories/retention';
import {
  type DeliveryFixture,
  type RegisteredDestination,
  startDeliveryFixture,
} from '@sluice/testing/delivery-fixture';
import { waitFor } from '@sluice/testing/stack';
import { startWorkerProcess } from '@sluice/testing/worker-process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The stack runs with the defaults (RETENTION_DAYS 30, AUDIT_RETENTION_DAYS 365) and leaves the
// retention pass to the tests (workers.retention.runOnce()); "old" rows are backdated in SQL.
let fx: DeliveryFixture;
beforeAll(async () => {
  fx = await startDeliveryFixture({ faults: true });
});
afterAll(() => fx.close());

const api = (method: 'GET' | 'POST', url: string, payload?: object) =>
  fx.stack.app.inject({ method, url, headers: fx.auth, ...(payload ? { payload } : {}) });
const sql = <R extends Record<string, unknown>>(text: string, values: unknown[] = []) =>
  fx.stack.database.executor.query<R>(text, values).then((result) => result.rows);
const runRetention = () => fx.stack.workers!.retention.runOnce();

const backdateEvents = (eventIds: string[], days: number) =>
  sql(`update events set received_at = now() - make_interval(days => $2) where id = any($1)`, [eventIds, days]);

const statusesOf = async (eventId: string) =>
  (await sql<{ status: string }>('select status from deliveries where event_id = $1', [eventId])).map((r) => r.status);

const waitForStatus = (eventId: string, status: string) =>
  waitFor(async () => (await statusesOf(eventId)).join() === status, 20_000);

/** What is stored for an event: its row, its deliveries, their failed attempts and dead-letter entries. */
async function storedFor(eventId: string, deliveryIds: string[]) {
  const [counts] = await sql<{ events: number; deliveries: number; attempts: number; entries: number }>(
    `select (select count(*) from events where id = $1)::int as events,
            (select count(*) from deliveries where event_id = $1)::int as deliveries,
            (select count(*) from delivery_attempts where delivery_id = any($2))::int as attempts,
            (select count(*) from dlq_entries where delivery_id = any($2))::int as entries`,
    [eventId, deliveryIds],
  );
  return counts!;
}

const deliveryIdsOf = async (eventId: string) =>
  (await sql<{ id: string }>('select id from deliveries where event_id = $1', [eventId])).map((r) => r.id);

const failNextSends = (times: number, status: number, code: string) =>
  fx.proxy!.inject({ action: 'SendMessageBatch', fault: { kind: 'error', status, code }, times });

async function deadEvent(destination: RegisteredDestination, overrides: Record<string, unknown> = {}) {
  failNextSends(1, 403, 'AccessDenied');
  const eventId = await destination.post(overrides);
  await waitForStatus(eventId, 'dead');
  return eventId;
}

const entryOf = async (eventId: string) =>
  (await sql<{ id: string }>('select id from dlq_entries where event_id = $1', [eventId]))[0]!.id;

describe('retention', () => {
  it('deletes an old delivered event with its delivery and attempt log; a recent one stays', async () => {
    const destination = await fx.sqsDestination('retention-delivered');
    // One failed attempt first, so the old event has an attempt log to delete.
    failNextSends(1, 500, 'InternalError');
    const old = await destination.post();
    await waitForStatus(old, 'delivered');
    const recent = await destination.post();
    await waitForStatus(recent, 'delivered');
    const oldDeliveries = await deliveryIdsOf(old);
    expect(await storedFor(old, oldDeliveries)).toMatchObject({ events: 1, deliveries: 1, attempts: 1 });

    await backdateEvents([old], 31);
    const pass = await runRetention();
    expect(pass).toMatchObject({ ran: true, complete: true });
    expect(pass.events).toBeGreaterThanOrEqual(1);

    expect(await storedFor(old, oldDeliveries)).toEqual({ events: 0, deliveries: 0, attempts: 0, entries: 0 });
    expect((await api('GET', `/v1/events/${old}`)).statusCode).toBe(404);
    expect((await api('GET', `/v1/deliveries/${oldDeliveries[0]}`)).statusCode).toBe(404);
    expect((await api('GET', `/v1/events/${recent}`)).statusCode).toBe(200);
    expect(await statusesOf(recent)).toEqual(['delivered']);
  });

  it('keeps an old event with a dead delivery until it is discarded; replayed and delivered, it goes', async () => {
    const destination = await fx.sqsDestination('retention-dead');
    const discarded = await deadEvent(destination);
    const discardedEntry = await entryOf(discarded);
    expect((await api('POST', `/v1/dlq/${discardedEntry}/discard`)).statusCode).toBe(204);
    // Replayed by a bulk replay (which lists the entry in dlq_replay_items), then delivered.
    const replayed = await deadEvent(destination);
    const bulk = await api('POST', '/v1/dlq/replay', { destinationId: destination.id });
    expect(bulk.json()).toMatchObject({ total: 1 });
    await waitForStatus(replayed, 'delivered');
    const dead = await deadEvent(destination);
    const deliveries = {
      discarded: await deliveryIdsOf(discarded),
      replayed: await deliveryIdsOf(replayed),
      dead: await deliveryIdsOf(dead),
    };
    await backdateEvents([discarded, replayed, dead], 40);

    await runRetention();
    expect(await storedFor(discarded, deliveries.discarded)).toEqual({
      events: 0,
      deliveries: 0,
      attempts: 0,
      entries: 0,
    });
    expect(await storedFor(replayed, deliveries.replayed)).toEqual({
      events: 0,
      deliveries: 0,
      attempts: 0,
      entries: 0,
    });
    expect(await sql('select 1 from dlq_replay_items where replay_id = $1', [bulk.json().replayId])).toEqual([]);
    // The dead one stays, listed in the DLQ and replayable, until someone decides.
    expect(await storedFor(dead, deliveries.dead)).toEqual({ events: 1, deliveries: 1, attempts: 1, entries: 1 });
    const listed = (await api('GET', `/v1/dlq?destinationId=${destination.id}`)).json().data;
    expect(listed.map((entry: { eventId: string }) => entry.eventId)).toEqual([dead]);

    const deadEntry = await entryOf(dead);
    expect((await api('POST', `/v1/dlq/${deadEntry}/discard`)).statusCode).toBe(204);
    await runRetention();
    expect(await storedFor(dead, deliveries.dead)).toEqual({ events: 0, deliveries: 0, attempts: 0, entries: 0 });
    // Who discarded and replayed what is audit: kept AUDIT_RETENTION_DAYS, not with the events.
    const audit = await sql<{ action: string }>(
      'select action from dlq_audit where replay_id = $1 or entry_id = any($2) order by at',
      [bulk.json().replayId, [discardedEntry, deadEntry]],
    );
    expect(audit.map((row) => row.action)).toEqual(['discard', 'bulk_replay', 'discard']);
  });

  it('keeps an event not fanned out yet, however old', async () => {
    const destination = await fx.sqsDestination('retention-outbox');
    const eventId = await destination.post();
    await waitForStatus(eventId, 'delivered');
    // An event whose fan-out keeps failing stays in the outbox: it has no deliveries to be finished.
    const [event] = await sql<{ tenant_id: string; seq: string; customer_external_id: string }>(
      'select tenant_id, seq, customer_external_id from events where id = $1',
      [eventId],
    );
    await sql(
      `insert into event_outbox (tenant_id, seq, event_id, customer_external_id, bytes, attempts, not_before)
       values ($1, $2, $3, $4, 0, 1, now() + interval '1 hour')`,
      [event!.tenant_id, event!.seq, eventId, event!.customer_external_id],
    );
    await backdateEvents([eventId], 31);
    await runRetention();
    expect(await sql('select 1 from events where id = $1', [eventId])).toHaveLength(1);
    await sql('delete from event_outbox where event_id = $1', [eventId]);
    await runRetention();
    expect(await sql('select 1 from events where id = $1', [eventId])).toHaveLength(0);
  });

  it('frees an idempotency key once its event is deleted: the same request is accepted again as a new event', async () => {
    const destination = await fx.sqsDestination('retention-idempotency');
    const request = {
      eventType: 'order.completed',
      occurredAt: '2026-05-26T14:21:08.493Z',
      source: 'billing-service',
      customerExternalId: destination.customerExternalId,
      idempotencyKey: `retention-key-${Date.now()}`,
      payload: { orderId: 'ord_1' },
    };
    const first = await api('POST', '/v1/events', request);
    expect(first.statusCode).toBe(202);
    const again = await api('POST', '/v1/events', request);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: first.json().id, duplicate: true });
    await waitForStatus(first.json().id, 'delivered');

    await backdateEvents([first.json().id], 31);
    await runRetention();
    const reused = await api('POST', '/v1/events', request);
    expect(reused.statusCode).toBe(202);
    expect(reused.json()).toMatchObject({ status: 'accepted', duplicate: false });
    expect(reused.json().id).not.toBe(first.json().id);
    await waitForStatus(reused.json().id, 'delivered');
  });

  it('deletes audit rows and finished bulk replays past AUDIT_RETENTION_DAYS, and keeps newer ones', async () => {
    const destination = await fx.sqsDestination('retention-audit');
    const oldEntry = await entryOf(await deadEvent(destination));
    await api('POST', `/v1/dlq/${oldEntry}/discard`);
    const newEntry = await entryOf(await deadEvent(destination));
    await api('POST', `/v1/dlq/${newEntry}/discard`);
    const emptyReplay = (await api('POST', '/v1/dlq/replay', { destinationId: destination.id })).json().replayId;
    await sql(`update dlq_audit set at = now() - interval '366 days' where entry_id = $1`, [oldEntry]);
    await sql(`update dlq_replays set finished_at = now() - interval '366 days' where id = $1`, [emptyReplay]);

    const pass = await runRetention();
    expect(pass.auditRows).toBeGreaterThanOrEqual(2);
    expect(await sql('select 1 from dlq_audit where entry_id = $1', [oldEntry])).toEqual([]);
    expect(await sql('select action from dlq_audit where entry_id = $1', [newEntry])).toEqual([{ action: 'discard' }]);
    expect(await sql('select 1 from dlq_replays where id = $1', [emptyReplay])).toEqual([]);
    expect((await api('GET', `/v1/dlq/replays/${emptyReplay}`)).statusCode).toBe(404);
  });

  it('runs in one worker at a time: a pass finds the lock held and skips', async () => {
    const pass = await whileHoldingRetentionLock(fx.stack.database.pool, () => runRetention());
    expect(pass).toEqual({ ran: false, events: 0, auditRows: 0, complete: false });
    expect((await runRetention()).ran).toBe(true);
  });

  it('is done by the worker on its own, with RETENTION_DAYS and AUDIT_RETENTION_DAYS from its environment', async () => {
    const destination = await fx.sqsDestination('retention-process');
    const old = await destination.post();
    await waitForStatus(old, 'delivered');
    const recent = await destination.post();
    await waitForStatus(recent, 'delivered');
    const entry = await entryOf(await deadEvent(destination));
    await api('POST', `/v1/dlq/${entry}/discard`);
    await backdateEvents([old], 3);
    await sql(`update dlq_audit set at = now() - interval '3 days' where entry_id = $1`, [entry]);

    const worker = await startWorkerProcess({ ...fx.awsEnv, RETENTION_DAYS: '2', AUDIT_RETENTION_DAYS: '2' });
    try {
      await waitFor(async () => (await sql('select 1 from events where id = $1', [old])).length === 0, 30_000);
      await waitFor(async () => (await sql('select 1 from dlq_audit where entry_id = $1', [entry])).length === 0);
      // The pass logs once it has finished, a moment after its last delete commits.
      await waitFor(async () => worker.output().includes('retention: deleted what was past it'));
    } finally {
      worker.kill('SIGTERM');
      await worker.exited;
    }
    expect(await statusesOf(recent)).toEqual(['delivered']);
  });
});
