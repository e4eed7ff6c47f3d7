import { collectMessages } from '@sluice/testing/aws-test-resources';
import {
  type DeliveryFixture,
  type RegisteredDestination,
  startDeliveryFixture,
} from '@sluice/testing/delivery-fixture';
import { waitFor } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let fx: DeliveryFixture;
beforeAll(async () => {
  fx = await startDeliveryFixture({ faults: true });
});
afterAll(() => fx.close());

const api = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, headers = fx.auth, payload?: object) =>
  fx.stack.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });

const denyNextSends = (times: number) =>
  fx.proxy!.inject({ action: 'SendMessageBatch', fault: { kind: 'error', status: 403, code: 'AccessDenied' }, times });

/** Posts events that die at once (AccessDenied), and waits for their dead-letter entries. */
async function deadEntries(destination: RegisteredDestination, count: number, payload?: (n: number) => object) {
  denyNextSends(count);
  for (let n = 0; n < count; n++) await destination.post(payload ? { payload: payload(n) } : {});
  return waitFor(async () => {
    const list = (await api('GET', `/v1/dlq?destinationId=${destination.id}`)).json();
    return list.data.length === count ? list.data : undefined;
  });
}

const collect = (queueUrl: string, count: number, timeoutMs = 20_000) =>
  collectMessages(fx.aws.sqs, queueUrl, count, { timeoutMs });

describe('dead-letter queue', () => {
  it('lists a permanent failure with its reason and error, and shows its event and attempt log', async () => {
    const destination = await fx.sqsDestination('dead');
    const [entry] = await deadEntries(destination, 1);
    expect(entry).toMatchObject({
      destinationId: destination.id,
      reason: 'permanent_error',
      attempts: 1,
      replayCount: 0,
      state: 'open',
      lastError: expect.objectContaining({ code: 'AccessDenied' }),
    });
    const detail = (await api('GET', `/v1/dlq/${entry.id}`)).json();
    expect(detail.event).toMatchObject({ id: entry.eventId, customerExternalId: destination.customerExternalId });
    expect(detail.attemptLog).toEqual([
      expect.objectContaining({ n: 1, outcome: 'permanent_error', errorCode: 'AccessDenied' }),
    ]);
    const byReason = (await api('GET', `/v1/dlq?destinationId=${destination.id}&reason=retries_exhausted`)).json();
    expect(byReason.data).toEqual([]);
  });

  it('replays into a FIFO queue once the fault is fixed: delivered once, same deduplication id, entry resolved', async () => {
    const destination = await fx.sqsDestination('replay.fifo');
    const [entry] = await deadEntries(destination, 1);
    const replay = await api('POST', `/v1/dlq/${entry.id}/replay`);
    expect(replay.statusCode).toBe(202);
    expect(replay.json()).toEqual({ deliveryId: entry.deliveryId });
    const messages = await collect(destination.queueUrl, 1);
    expect(messages).toHaveLength(1);
    const event = (await api('GET', `/v1/events/${entry.eventId}`)).json();
    expect(messages[0]!.Attributes?.MessageDeduplicationId).toBe(event.idempotencyKey);
    await waitFor(async () => (await api('GET', `/v1/dlq?destinationId=${destination.id}`)).json().data.length === 0);
    expect((await api('GET', `/v1/dlq/${entry.id}`)).json().state).toBe('resolved');
    expect((await api('GET', `/v1/deliveries/${entry.deliveryId}`)).json()).toMatchObject({
      status: 'delivered',
      attempts: 2,
    });
    // A second replay of a resolved entry is refused.
    expect((await api('POST', `/v1/dlq/${entry.id}/replay`)).json().code).toBe('not_replayable');
  });

  it('brings an entry back with replayCount + 1 when its replay fails again', async () => {
    const destination = await fx.sqsDestination('fails-again');
    const [entry] = await deadEntries(destination, 1);
    denyNextSends(1);
    await api('POST', `/v1/dlq/${entry.id}/replay`);
    const back = await waitFor(async () => {
      const found = (await api('GET', `/v1/dlq/${entry.id}`)).json();
      return found.state === 'open' ? found : undefined;
    });
    expect(back).toMatchObject({ replayCount: 1, attempts: 2 });
  });

  it('discards an entry (204), which then leaves the list', async () => {
    const destination = await fx.sqsDestination('discarded');
    const [entry] = await deadEntries(destination, 1);
    expect((await api('POST', `/v1/dlq/${entry.id}/discard`)).statusCode).toBe(204);
    expect((await api('GET', `/v1/dlq?destinationId=${destination.id}`)).json().data).toEqual([]);
    expect((await api('GET', `/v1/deliveries/${entry.deliveryId}`)).json().status).toBe('discarded');
    expect((await api('POST', `/v1/dlq/${entry.id}/discard`)).statusCode).toBe(409);
  });

  it('refuses with 409 to replay an entry whose destination is disabled or deleted', async () => {
    const destination = await fx.sqsDestination('gone');
    const [entry] = await deadEntries(destination, 1);
    await api('PATCH', `/v1/destinations/${destination.id}`, fx.auth, { enabled: false });
    const disabled = await api('POST', `/v1/dlq/${entry.id}/replay`);
    expect(disabled.statusCode).toBe(409);
    expect(disabled.json()).toMatchObject({
      code: 'destination_disabled',
      detail: expect.stringContaining('enable it'),
    });
    await api('DELETE', `/v1/destinations/${destination.id}`);
    const deleted = await api('POST', `/v1/dlq/${entry.id}/replay`);
    expect(deleted.statusCode).toBe(409);
    expect(deleted.json().code).toBe('destination_deleted');
  });

  it("keeps tenants apart: B cannot list, read, replay or discard A's entries; the operator can", async () => {
    const destination = await fx.sqsDestination('isolated');
    const [entry] = await deadEntries(destination, 1);
    const tenantB = await fx.stack.createKey((await fx.stack.createTenant('B')).id, ['admin']);
    expect((await api('GET', `/v1/dlq?destinationId=${destination.id}`, tenantB.auth)).json().data).toEqual([]);
    for (const [method, url] of [
      ['GET', `/v1/dlq/${entry.id}`],
      ['POST', `/v1/dlq/${entry.id}/replay`],
      ['POST', `/v1/dlq/${entry.id}/discard`],
    ] as const) {
      expect((await api(method, url, tenantB.auth)).statusCode, url).toBe(404);
    }
    const ingestOnly = await fx.stack.createKey(fx.tenantId, ['ingest']);
    expect((await api('GET', '/v1/dlq', ingestOnly.auth)).statusCode).toBe(403);

    const asOperator = (
      await api('GET', `/v1/admin/dlq?tenantId=${fx.tenantId}&destinationId=${destination.id}`, fx.stack.operator)
    ).json();
    expect(asOperator.data.map((e: { id: string }) => e.id)).toEqual([entry.id]);
    expect((await api('GET', `/v1/admin/dlq/${entry.id}`, fx.stack.operator)).json().id).toBe(entry.id);
    expect((await api('POST', `/v1/admin/dlq/${entry.id}/replay`, fx.stack.operator)).statusCode).toBe(202);
    await collect(destination.queueUrl, 1);

    // The operator's tenant filter is checked: not an id → 400; no such tenant → 404.
    const badTenant = await api('GET', `/v1/admin/dlq/${entry.id}?tenantId=abc`, fx.stack.operator);
    expect(badTenant.statusCode).toBe(400);
    const noTenant = await api('POST', '/v1/admin/dlq/replay', fx.stack.operator, {
      tenantId: '01a206aa-0000-7000-8000-000000000000',
    });
    expect(noTenant.statusCode).toBe(404);

    const audit = await fx.stack.database.pool.query('select actor_kind, action from dlq_audit where entry_id = $1', [
      entry.id,
    ]);
    expect(audit.rows).toEqual([{ actor_kind: 'operator', action: 'replay' }]);
  });
});
