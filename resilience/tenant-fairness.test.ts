import { randomUUID } from 'node:crypto';
import { waitFor } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StackTenant, stackQueue, startTenantStack, type TenantStack } from './tenant-stack.ts';

/**
 * Issue #16 item 2: one tenant's flood, backlog and bulk replays do not delay another tenant.
 * Tenant A floods at its ingest limit into more destinations than a worker has drain slots,
 * so its backlog grows for the whole test; tenant B sends a trickle to one queue. B's latency
 * is measured where it ends: fauxqs (in a process of its own) notes each message's arrival,
 * minus the event's receivedAt (the moment PostgreSQL accepted it; same machine clock).
 */
const A_DESTINATIONS = 20;
const FLOOD_MS = 20_000;
const B_EVERY_MS = 250;

let stack: TenantStack;
let a: StackTenant;
let b: StackTenant;
let aQueues: { queueName: string; destinationId: string }[];
let bQueue: { queueName: string; queueUrl: string; destinationId: string };
const A_CUSTOMER = 'flood-customer';
const B_CUSTOMER = 'trickle-customer';

beforeAll(async () => {
  stack = await startTenantStack();
  // A floods at the default ingest limit (1,000 events/s): the most a tenant may send.
  a = await stack.addTenant('flooder');
  b = await stack.addTenant('trickler');
  aQueues = [];
  for (let i = 0; i < A_DESTINATIONS; i++) {
    const { queueName, queueUrl } = await stackQueue(stack, `flood-${i}`);
    aQueues.push({ queueName, destinationId: await a.destination(A_CUSTOMER, 'sqs', { queueUrl }) });
  }
  const trickle = await stackQueue(stack, 'trickle');
  bQueue = { ...trickle, destinationId: await b.destination(B_CUSTOMER, 'sqs', { queueUrl: trickle.queueUrl }) };
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const event = (customerExternalId: string, eventType = 'order.updated', payload: object = {}) => ({
  eventType,
  occurredAt: new Date().toISOString(),
  source: 'fairness',
  customerExternalId,
  idempotencyKey: randomUUID(),
  payload,
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A posts batches as fast as its rate limit lets it (a 429 waits its Retry-After) until `until`. */
async function flood(until: number): Promise<number> {
  let accepted = 0;
  while (Date.now() < until) {
    const events = Array.from({ length: 100 }, () => event(A_CUSTOMER, 'order.updated', { pad: 'x'.repeat(200) }));
    const answer = await a.call('POST', '/v1/events/batch', { events });
    if (answer.status === 429) {
      await sleep(Math.min(1_000, Number(answer.headers.get('retry-after') ?? '1') * 1000));
      continue;
    }
    expect(answer.status).toBe(200);
    const { results } = (await answer.json()) as { results: { status: string }[] };
    accepted += results.filter((r) => r.status === 'accepted').length;
  }
  return accepted;
}

async function trickle(until: number): Promise<string[]> {
  const ids: string[] = [];
  while (Date.now() < until) {
    const answer = await b.call('POST', '/v1/events', event(B_CUSTOMER));
    expect(answer.status).toBe(202);
    ids.push(((await answer.json()) as { id: string }).id);
    await sleep(B_EVERY_MS);
  }
  return ids;
}

const arrivedIn = async (queueName: string) =>
  (await stack.fauxqs.ask<{ counts: Record<string, number> }>('counts')).counts[queueName] ?? 0;

const pendingOf = async (tenantId: string) =>
  Number(
    (
      await stack.pool.query(
        `select (select count(*) from delivery_queue where tenant_id = $1)
              + (select count(*) from event_outbox where tenant_id = $1) as n`,
        [tenantId],
      )
    ).rows[0].n,
  );

describe('per-tenant fairness', () => {
  it("delivers each of B's events within 2 s of acceptance while A floods and its backlog grows", async () => {
    await stack.takeLatencies(bQueue.queueName);
    const until = Date.now() + FLOOD_MS;
    // Four lanes keep A at its limit whatever one request's latency.
    const [floods, sentByB] = await Promise.all([Promise.all([1, 2, 3, 4].map(() => flood(until))), trickle(until)]);
    const aPending = await pendingOf(a.id);
    const counts = (await stack.fauxqs.ask<{ counts: Record<string, number> }>('counts')).counts;
    const aArrived = aQueues.reduce((sum, q) => sum + (counts[q.queueName] ?? 0), 0);
    await waitFor(async () => (await arrivedIn(bQueue.queueName)) >= sentByB.length, 30_000).catch(() => {});
    const latency = await stack.takeLatencies(bQueue.queueName);
    console.log(
      `A accepted ${floods.reduce((x, y) => x + y, 0)} events (x${A_DESTINATIONS} destinations), ${aArrived} of their messages arrived and ${aPending} deliveries or events pending by the end; B sent ${sentByB.length}: latency p50 ${latency.p50} ms, p99 ${latency.p99} ms, max ${latency.max} ms`,
    );
    // Where B's time went: accept to fan-out (the delivery's creation), fan-out to the send.
    const stages = await stack.pool.query(
      `select percentile_disc(0.5) within group (order by extract(epoch from d.created_at - e.received_at) * 1000) as fan_out_p50,
              max(extract(epoch from d.created_at - e.received_at) * 1000) as fan_out_max,
              percentile_disc(0.5) within group (order by extract(epoch from d.delivered_at - d.created_at) * 1000) as drain_p50,
              max(extract(epoch from d.delivered_at - d.created_at) * 1000) as drain_max
       from deliveries d join events e on e.id = d.event_id where d.event_id = any($1::uuid[])`,
      [sentByB],
    );
    console.log(`B's stages (ms): ${JSON.stringify(stages.rows[0])}`);
    // The test means something only if A really had a backlog B could have waited behind.
    expect(aPending).toBeGreaterThan(5_000);
    expect(latency.samples).toBe(sentByB.length);
    expect(latency.max).toBeLessThanOrEqual(2_000);
  });

  it("finishes B's single replay and one-entry bulk replay while A's two large bulk replays run", async () => {
    // A's dead letters: two destinations' worth, seeded in SQL (the real path would take minutes).
    const perReplay = 6_000;
    for (const { destinationId } of aQueues.slice(0, 2)) await seedDead(a.id, destinationId, A_CUSTOMER, perReplay);
    const [single] = await seedDead(b.id, bQueue.destinationId, B_CUSTOMER, 1, 'b.single');
    await seedDead(b.id, bQueue.destinationId, B_CUSTOMER, 1, 'b.bulk');

    const arrivedInB = () => arrivedIn(bQueue.queueName);
    const before = await arrivedInB();
    const aReplays: string[] = [];
    for (const { destinationId } of aQueues.slice(0, 2)) {
      const answer = await a.call('POST', '/v1/dlq/replay', { destinationId });
      const started = (await answer.json()) as { replayId: string; total: number };
      expect(started.total).toBe(perReplay);
      aReplays.push(started.replayId);
    }
    await sleep(1_000);
    const begun = Date.now();
    const singleReplay = await b.call('POST', `/v1/dlq/${single}/replay`);
    expect(singleReplay.status).toBe(202);
    const bulkReplay = await b.call('POST', '/v1/dlq/replay', { eventType: 'b.bulk' });
    const { replayId: bReplay, total } = (await bulkReplay.json()) as { replayId: string; total: number };
    expect(total).toBe(1);

    const status = async (tenant: StackTenant, replayId: string) =>
      (await (await tenant.call('GET', `/v1/dlq/replays/${replayId}`)).json()) as { status: string; replayed: number };
    await waitFor(async () => (await status(b, bReplay)).status === 'done', 30_000);
    await waitFor(async () => (await arrivedInB()) >= before + 2, 30_000);
    const took = Date.now() - begun;
    const aStates = await Promise.all(aReplays.map((id) => status(a, id)));
    console.log(
      `B's replays arrived ${took} ms after they were asked for; A's replays then: ${JSON.stringify(aStates)}`,
    );
    // A's replays were running all along: started before B's, not finished after them, and moving.
    for (const state of aStates) {
      expect(state.status).toBe('running');
      expect(state.replayed).toBeGreaterThan(0);
    }
  });
});

/** Dead deliveries with open DLQ entries for one destination; answers the entries' ids. */
async function seedDead(
  tenantId: string,
  destinationId: string,
  customerExternalId: string,
  count: number,
  eventType = 'order.updated',
): Promise<string[]> {
  const result = await stack.pool.query<{ id: string }>(
    `with ev as (
       insert into events (id, tenant_id, idempotency_key, request_hash, event_type, occurred_at, source,
                           customer_external_id, payload, bytes)
       select gen_random_uuid(), $1, 'dead-' || gen_random_uuid(), md5(i::text), $4, now(), 'fairness', $3,
              jsonb_build_object('n', i), 20
       from generate_series(1, $5::int) as i
       returning id, seq
     ),
     dl as (
       insert into deliveries (id, tenant_id, event_id, destination_id, order_seq, status, attempts, expires_at)
       select gen_random_uuid(), $1, ev.id, $2, ev.seq, 'dead', 1, now() + interval '1 day' from ev
       returning id, event_id
     )
     insert into dlq_entries (id, tenant_id, delivery_id, event_id, destination_id, customer_external_id, event_type,
                              reason, attempts)
     select gen_random_uuid(), $1, dl.id, dl.event_id, $2, $3, $4, 'permanent_error', 1 from dl
     returning id`,
    [tenantId, destinationId, customerExternalId, eventType, count],
  );
  return result.rows.map((row) => row.id);
}
