import { createSluice, SluiceProblem } from '@sluice/sdk';
import type { RetryOptions } from '@sluice/sdk/retry';
import type { EventInput } from '@sluice/sdk/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FlakyProxy, type ScriptedAnswer, startFlakyProxy } from './support/flaky-proxy.ts';
import { type SdkFixture, startSdkFixture } from './support/sdk-fixture.ts';

/** Pagination, retries on real 429/503 answers and resets, and the batch splitter, against the real API. */
let fixture: SdkFixture;
let proxy: FlakyProxy;
beforeAll(async () => {
  fixture = await startSdkFixture();
  proxy = await startFlakyProxy(fixture.baseUrl);
}, 60_000);
afterAll(async () => {
  await proxy?.close();
  await fixture?.close();
});

const event = (customer: string, n: number, overrides: Partial<EventInput> = {}): EventInput => ({
  eventType: 'order.completed',
  occurredAt: '2026-05-26T14:21:08.493Z',
  source: 'sdk-test',
  customerExternalId: customer,
  idempotencyKey: `${customer}-${n}`,
  payload: { n },
  ...overrides,
});

/** A client of the tenant that reaches the API through the proxy, whose record starts empty. */
function throughProxy(retry: RetryOptions) {
  proxy.seen.length = 0;
  return createSluice({ baseUrl: proxy.url, apiKey: fixture.tenantKey, retry });
}

/** A 429 as the API answers it (problem+json with Retry-After), made on the wire by the proxy. */
const rateLimited = (retryAfter: string): ScriptedAnswer => ({
  status: 429,
  headers: { 'retry-after': retryAfter },
  body: {
    type: 'urn:sluice:problem:rate_limited',
    title: 'Too Many Requests',
    status: 429,
    detail: 'Slow down.',
    code: 'rate_limited',
    requestId: 'proxy',
  },
});

const rejectedOf = async (call: Promise<unknown>) =>
  call.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('the SDK', { timeout: 60_000 }, () => {
  it('iterates over every page of a list, in order, each item once', async () => {
    const customer = `pages-${process.pid}`;
    const sent = [];
    for (let n = 0; n < 7; n++) sent.push((await fixture.tenant.sendEvent({ body: event(customer, n) })).id);
    const pages = [];
    for await (const page of fixture.tenant.pages.listEvents({ query: { customerExternalId: customer, limit: 3 } })) {
      pages.push(page.data.map((e) => e.id));
    }
    expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual([...sent].reverse());
    const items = [];
    for await (const item of fixture.tenant.pages
      .listEvents({ query: { customerExternalId: customer, limit: 2 } })
      .items()) {
      items.push(item.id);
    }
    expect(items).toEqual([...sent].reverse());
  });

  it('retries a GET answered 429, after its Retry-After, then 503 and a reset connection', async () => {
    const sluice = throughProxy({ baseDelayMs: 10, maxDelayMs: 50 });
    proxy.answerNext(rateLimited('1'), { status: 503 }, 'reset');
    const customer = `retry-get-${process.pid}`;
    const { id } = await fixture.tenant.sendEvent({ body: event(customer, 0) });
    const page = await sluice.listEvents({ query: { customerExternalId: customer } });
    expect(page.data.map((e) => e.id)).toEqual([id]);
    expect(proxy.seen.map((request) => request.answered)).toEqual(['scripted', 'scripted', 'scripted', 'forwarded']);
    // Retry-After: 1 is waited for (a lower bound only: a busy machine makes it longer, never shorter).
    expect(proxy.seen[1]!.at - proxy.seen[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('retries ingest (idempotent) but not a POST that is not, and throws the 429 problem', async () => {
    const sluice = throughProxy({ baseDelayMs: 10 });
    proxy.answerNext(rateLimited('0'));
    const accepted = await sluice.sendEvent({ body: event(`retry-${process.pid}`, 1) });
    expect(accepted.duplicate).toBe(false);
    expect(proxy.seen).toHaveLength(2);

    proxy.seen.length = 0;
    proxy.answerNext(rateLimited('0'));
    const error = await rejectedOf(sluice.createPortalSession({ body: { customerExternalId: 'acct_retry' } }));
    expect(error).toBeInstanceOf(SluiceProblem);
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', operationId: 'createPortalSession' });
    expect(proxy.seen).toHaveLength(1);
  });

  it('gives up after its retries, with the last answer as a problem', async () => {
    const sluice = throughProxy({ retries: 2, baseDelayMs: 5 });
    proxy.answerNext({ status: 503 }, { status: 503 }, { status: 503 });
    const error = await rejectedOf(sluice.getHealth());
    expect(error).toMatchObject({ status: 503, code: 'http_503' });
    expect(proxy.seen).toHaveLength(3);
  });

  it('sends 1,200 events in batches of 500, merging each event’s result in order, invalid ones rejected', async () => {
    const customer = `bulk-${process.pid}`;
    const invalidAt = new Set([3, 499, 500, 777, 1199]);
    const events = Array.from({ length: 1200 }, (_, n) =>
      invalidAt.has(n) ? event(customer, n, { occurredAt: 'yesterday' }) : event(customer, n),
    );
    const result = await fixture.tenant.sendEvents(events);
    expect(result.requests).toBe(3);
    expect(result.results.map((r) => r.index)).toEqual(events.map((_, n) => n));
    expect(result.results.filter((r) => r.status === 'rejected').map((r) => r.index)).toEqual([...invalidAt]);
    expect(result.results[777]!.errors).toEqual([expect.objectContaining({ path: 'occurredAt' })]);
    expect(result).toMatchObject({ accepted: 1195, duplicates: 0, rejected: 5 });
    const stored = await fixture.delivery.stack.database.pool.query(
      'select count(*)::int as n from events where customer_external_id = $1',
      [customer],
    );
    expect(stored.rows[0].n).toBe(1195);

    const again = await fixture.tenant.sendEvents(events.slice(0, 600));
    expect(again).toMatchObject({ accepted: 0, duplicates: 597, rejected: 3, requests: 2 });
    expect(again.results[10]!.id).toBe(result.results[10]!.id);
  });

  it('reports an event too large for any request as rejected and sends the rest', async () => {
    const customer = `large-${process.pid}`;
    const large = event(customer, 1, { payload: { blob: 'x'.repeat(1024 * 1024) } });
    const result = await fixture.tenant.sendEvents([event(customer, 0), large, event(customer, 2)]);
    expect(result.results.map((r) => r.status)).toEqual(['accepted', 'rejected', 'accepted']);
    expect(result.results[1]!.errors?.[0]).toMatchObject({ code: 'payload_too_large' });
  });
});
