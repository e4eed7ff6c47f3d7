import { randomUUID } from 'node:crypto';
import { waitFor } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  residentBytes,
  type StackTenant,
  stackQueue,
  stackTopic,
  startTenantStack,
  type TenantStack,
} from './tenant-stack.ts';

/**
 * Issue #16 item 3: claims, fan-out batches and event lists are bounded by bytes as well as
 * rows. 300 events of about 900 KiB go to four destinations of one customer (SQS standard and
 * FIFO, EventBridge, all delivered; SNS, whose 256 KiB limit sends them to the dead-letter queue
 * as payload_too_large), while a client lists them 200 at a time. The real API and worker
 * processes must neither restart nor grow past 1.5 GB resident.
 */
const EVENTS = 300;
const EVENT_BYTES = 900 * 1024;
const RSS_LIMIT = 1.5 * 1024 ** 3;
const CUSTOMER = 'large-events';

let stack: TenantStack;
let tenant: StackTenant;
let snsDestination: string;
let destinations: string[];

beforeAll(async () => {
  stack = await startTenantStack();
  tenant = await stack.addTenant('large-events');
  // SQS's largest message size (1 MiB), so the 900 KiB events fit.
  const largest = { MaximumMessageSize: String(1024 * 1024) };
  const standard = await stackQueue(stack, 'large', largest);
  const fifo = await stackQueue(stack, 'large.fifo', largest);
  snsDestination = await tenant.destination(CUSTOMER, 'sns', { topicArn: await stackTopic(stack, 'large') });
  destinations = [
    await tenant.destination(CUSTOMER, 'sqs', { queueUrl: standard.queueUrl }),
    await tenant.destination(CUSTOMER, 'sqs', { queueUrl: fifo.queueUrl }),
    snsDestination,
    await tenant.destination(CUSTOMER, 'eventbridge', {
      eventBusArn: stack.emulators.fakeEventBridge.createBus(`large-${process.pid}`),
    }),
  ];
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/** About `EVENT_BYTES` of JSON made of many small objects, as real payloads are (not one long string). */
function largePayload(n: number) {
  const item = (i: number) => ({ sku: `sku-${n}-${i}`, quantity: i % 7, note: 'replacement part, ships separately' });
  const perItem = JSON.stringify(item(0)).length + 1;
  return { order: n, items: Array.from({ length: Math.floor(EVENT_BYTES / perItem) }, (_, i) => item(i)) };
}

describe('memory bounds', () => {
  it('delivers or dead-letters 300 events of 900 KiB to four destinations, listed 200 at a time, under 1.5 GB resident', async () => {
    const pids = { api: stack.api.child.pid!, worker: stack.worker.child.pid! };
    const peak = { api: 0, worker: 0 };
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak.api = Math.max(peak.api, await residentBytes(pids.api));
        peak.worker = Math.max(peak.worker, await residentBytes(pids.worker));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    // Paused while the events come in, so each drain then finds all 300 in line at once: claims
    // bounded by rows alone would take 200 of 900 KiB each, four drains at a time.
    for (const id of destinations) expect((await tenant.call('POST', `/v1/destinations/${id}/pause`)).status).toBe(200);
    // Four clients post at once, so fan-out batches and claims meet large events several at a time.
    const ids: string[] = [];
    let next = 0;
    await Promise.all(
      [0, 1, 2, 3].map(async () => {
        while (next < EVENTS) {
          const n = next++;
          const answer = await tenant.call('POST', '/v1/events', {
            eventType: 'order.exported',
            occurredAt: new Date().toISOString(),
            source: 'memory-bounds',
            customerExternalId: CUSTOMER,
            idempotencyKey: randomUUID(),
            payload: largePayload(n),
          });
          expect(answer.status).toBe(202);
          ids.push(((await answer.json()) as { id: string }).id);
        }
      }),
    );

    await waitFor(async () => {
      const queued = await stack.pool.query<{ n: number }>(
        'select count(*)::int as n from delivery_queue where destination_id = any($1::uuid[])',
        [destinations],
      );
      return queued.rows[0]!.n === EVENTS * 4;
    }, 60_000);
    for (const id of destinations)
      expect((await tenant.call('POST', `/v1/destinations/${id}/resume`)).status).toBe(200);

    // While they drain: the whole list, 200 at a time (of these events only: the SNS destination's
    // dead letters open an alert, and the alert is an event of this customer too). A page stops at its byte bound, short of
    // 200 items, with a cursor; following the cursors lists every event exactly once.
    const listed: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const answer = await tenant.call(
        'GET',
        `/v1/events?limit=200&customerExternalId=${CUSTOMER}&eventType=order.exported${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(answer.status).toBe(200);
      const text = await answer.text();
      expect(text.length).toBeLessThan(8 * 1024 * 1024);
      const page = JSON.parse(text) as { data: { id: string }[]; nextCursor: string | null };
      expect(page.data.length).toBeLessThan(200);
      listed.push(...page.data.map((event) => event.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBeGreaterThan(1);
    expect(listed.sort()).toEqual([...ids].sort());

    const finished = async () =>
      (
        await stack.pool.query<{ status: string; n: string }>(
          `select status, count(*) as n from deliveries where event_id = any($1::uuid[]) group by status`,
          [ids],
        )
      ).rows;
    await waitFor(async () => {
      const states = await finished();
      const done = states.filter((s) => s.status === 'delivered' || s.status === 'dead');
      return done.reduce((sum, s) => sum + Number(s.n), 0) === EVENTS * 4;
    }, 200_000);
    sampling = false;
    await sampler;

    const states = Object.fromEntries((await finished()).map((s) => [s.status, Number(s.n)]));
    const snsDead = await stack.pool.query<{ n: string }>(
      `select count(*) as n from dlq_entries where destination_id = $1 and reason = 'payload_too_large'`,
      [snsDestination],
    );
    console.log(
      `${pages} list pages; deliveries ${JSON.stringify(states)}; peak RSS api ${(peak.api / 2 ** 20).toFixed(0)} MiB, worker ${(peak.worker / 2 ** 20).toFixed(0)} MiB`,
    );
    expect(states).toEqual({ delivered: EVENTS * 3, dead: EVENTS });
    expect(Number(snsDead.rows[0]!.n)).toBe(EVENTS);
    // Neither process restarted: the same processes still run, and were seen all along.
    expect(stack.api.child.exitCode).toBeNull();
    expect(stack.worker.child.exitCode).toBeNull();
    expect(await residentBytes(pids.api)).toBeGreaterThan(0);
    expect(await residentBytes(pids.worker)).toBeGreaterThan(0);
    expect(peak.api).toBeGreaterThan(0);
    expect(peak.api).toBeLessThan(RSS_LIMIT);
    expect(peak.worker).toBeLessThan(RSS_LIMIT);
  });
});
