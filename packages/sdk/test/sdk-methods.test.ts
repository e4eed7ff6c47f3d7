import { SluiceProblem } from '@sluice/sdk';
import type { EventInput } from '@sluice/sdk/types';
import { receiveAll } from '@sluice/testing/aws-test-resources';
import { waitFor } from '@sluice/testing/stack';
import { testOperatorKey } from '@sluice/testing/test-env';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SdkFixture, startSdkFixture } from './support/sdk-fixture.ts';

/**
 * Every operation of the document through the SDK, against the real API on a port, the real
 * workers, PostgreSQL, Redis and the AWS emulators. The last test checks that none was left out.
 */
let fixture: SdkFixture;
beforeAll(async () => {
  fixture = await startSdkFixture();
}, 60_000);
afterAll(() => fixture?.close());

const problemOf = async (call: Promise<unknown>): Promise<SluiceProblem> => {
  const error = await call.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof SluiceProblem)) throw new Error(`expected a SluiceProblem, got ${String(error)}`);
  return error;
};

describe('every SDK method against the real API', { timeout: 60_000 }, () => {
  it('operator: tenants and keys', async () => {
    const { operator } = fixture;
    const tenant = await operator.createTenant({ body: { name: 'SDK Inc' } });
    expect((await operator.getTenant({ path: { tenantId: tenant.id } })).name).toBe('SDK Inc');
    const updated = await operator.updateTenant({
      path: { tenantId: tenant.id },
      body: { portal: { frameAncestors: ['https://app.sdk.example'] } },
    });
    expect(updated.portal.frameAncestors).toEqual(['https://app.sdk.example']);
    expect((await operator.listTenants({ query: { limit: 200 } })).data.map((t) => t.id)).toContain(tenant.id);

    const key = await operator.createApiKey({
      path: { tenantId: tenant.id },
      body: { name: 'short-lived', scopes: ['ingest'] },
    });
    expect(key.key).toMatch(/^sk_/);
    const keys = await operator.listApiKeys({ path: { tenantId: tenant.id } });
    expect(keys.data.map((k) => k.id)).toEqual([key.id]);
    await operator.revokeApiKey({ path: { keyId: key.id } });
    const revoked = await problemOf(fixture.client({ apiKey: key.key }).listEvents());
    expect(revoked.status).toBe(401);
    expect(revoked.problem).toMatchObject({ code: 'unauthorized', status: 401, requestId: expect.any(String) });
  });

  it('events: send, duplicate, conflict, get, list', async () => {
    const { tenant } = fixture;
    const body: EventInput = {
      eventType: 'order.completed',
      occurredAt: '2026-05-26T14:21:08.493Z',
      source: 'billing-service',
      customerExternalId: 'acct_events',
      idempotencyKey: `sdk-${process.pid}-order-1`,
      payload: { orderId: 'ord_1' },
    };
    const first = await tenant.sendEvent({ body });
    expect(first).toMatchObject({ status: 'accepted', duplicate: false });
    expect(await tenant.sendEvent({ body })).toEqual({ id: first.id, status: 'accepted', duplicate: true });
    const conflict = await problemOf(tenant.sendEvent({ body: { ...body, payload: { orderId: 'ord_2' } } }));
    expect(conflict.code).toBe('idempotency_conflict');

    const stored = await tenant.getEvent({ path: { id: first.id } });
    expect(stored.payload).toEqual({ orderId: 'ord_1' });
    const listed = await tenant.listEvents({ query: { customerExternalId: 'acct_events' } });
    expect(listed.data.map((e) => e.id)).toEqual([first.id]);

    const batch = await tenant.sendEventBatch({ body: { events: [{ ...body, idempotencyKey: 'batch-1' }] } });
    expect(batch.results).toEqual([{ index: 0, id: expect.any(String), status: 'accepted' }]);
  });

  it('destinations and deliveries: create, read, update, set up, test, pause, resume, deliver, delete', async () => {
    const { tenant, delivery } = fixture;
    const queue = await delivery.sqsDestination('sdk-destination');
    const destination = await tenant.getDestination({ path: { id: queue.id } });
    expect(destination.customerExternalId).toBe(queue.customerExternalId);
    const listed = await tenant.listDestinations({ query: { customerExternalId: queue.customerExternalId } });
    expect(listed.data.map((d) => d.id)).toEqual([queue.id]);
    const renamed = await tenant.updateDestination({ path: { id: queue.id }, body: { name: 'Renamed queue' } });
    expect(renamed.name).toBe('Renamed queue');
    const setup = await tenant.getDestinationSetup({ path: { id: queue.id } });
    expect(setup.externalId).toBe(destination.auth.mode === 'assume_role' ? destination.auth.externalId : null);
    const test = await tenant.testDestination({ path: { id: queue.id } });
    expect(test.ok).toBe(true);
    const preview = await tenant.previewDestination({
      path: { id: queue.id },
      body: {
        event: {
          eventType: 'order.completed',
          occurredAt: '2026-05-26T14:21:08.493Z',
          source: 'billing-service',
          customerExternalId: queue.customerExternalId,
          idempotencyKey: 'preview-1',
          payload: { orderId: 'ord_preview' },
        },
      },
    });
    expect(preview).toMatchObject({ fits: true });
    expect('body' in preview && JSON.parse(preview.body).payload).toEqual({ orderId: 'ord_preview' });
    expect((await tenant.pauseDestination({ path: { id: queue.id } })).status).toBe('paused');
    expect((await tenant.resumeDestination({ path: { id: queue.id } })).status).toBe('active');

    const eventId = await queue.post();
    const delivered = await waitFor(async () => {
      const page = await tenant.listDeliveries({ query: { destinationId: queue.id, status: 'delivered' } });
      return page.data.find((d) => d.eventId === eventId);
    });
    const detail = await tenant.getDelivery({ path: { id: delivered.id } });
    expect(detail.attemptLog.map((attempt) => attempt.outcome)).toEqual(['delivered']);
    const arrived = await receiveAll(delivery.aws.sqs, queue.queueUrl);
    expect(arrived.map((message) => JSON.parse(message.Body ?? '{}').id)).toContain(eventId);

    const created = await tenant.createDestination({
      body: {
        name: 'Short-lived',
        customerExternalId: queue.customerExternalId,
        type: 'sqs',
        config: { queueUrl: queue.queueUrl },
        auth: { mode: 'assume_role', roleArn: 'arn:aws:iam::000000000000:role/sdk-short-lived' },
      },
    });
    await tenant.deleteDestination({ path: { id: created.id } });
    expect((await problemOf(tenant.getDestination({ path: { id: created.id } }))).code).toBe('not_found');
  });

  it('dead-letter queue, as the tenant and as the operator', async () => {
    const { tenant, operator } = fixture;
    const dead = await fixture.deadQueueDestination('sdk-dlq');
    const post = () => fixture.delivery.postEvent({ customerExternalId: dead.customerExternalId });
    await Promise.all([post(), post(), post(), post(), post()]);
    const entries = await waitFor(async () => {
      const page = await tenant.listDlqEntries({ query: { destinationId: dead.id } });
      return page.data.length === 5 && page.data;
    });
    await dead.createQueue();
    const [one, two, three] = entries.map((entry) => entry.id);
    expect((await tenant.getDlqEntry({ path: { id: one! } })).reason).toBe('permanent_error');
    expect(await tenant.replayDlqEntry({ path: { id: one! } })).toEqual({ deliveryId: entries[0]!.deliveryId });
    await tenant.discardDlqEntry({ path: { id: two! } });
    expect((await operator.adminGetDlqEntry({ path: { id: three! } })).tenantId).toBe(fixture.delivery.tenantId);
    const all = await operator.adminListDlqEntries({
      query: { tenantId: fixture.delivery.tenantId, destinationId: dead.id },
    });
    expect(all.data.map((entry) => entry.id).sort()).toEqual(
      [...entries.map((entry) => entry.id)].filter((id) => id !== one && id !== two).sort(),
    );
    await operator.adminReplayDlqEntry({ path: { id: three! } });
    await operator.adminDiscardDlqEntry({ path: { id: entries[3]!.id } });
    const started = await tenant.startDlqReplay({ body: { destinationId: dead.id } });
    expect(started.total).toBe(1);
    await waitFor(async () => (await tenant.getDlqReplay({ path: { replayId: started.replayId } })).status === 'done');
    const none = await operator.adminStartDlqReplay({
      body: { tenantId: fixture.delivery.tenantId, destinationId: dead.id },
    });
    expect((await operator.adminGetDlqReplay({ path: { replayId: none.replayId } })).total).toBe(0);
    const delivered = await waitFor(async () => {
      const page = await tenant.listDeliveries({ query: { destinationId: dead.id, status: 'delivered' } });
      return page.data.length === 3 && page.data;
    });
    expect(delivered).toHaveLength(3);
  });

  it('stats, as the tenant and as the operator', async () => {
    const stats = await fixture.tenant.getStats({ query: { interval: 'minute' } });
    expect(stats.series.reduce((sum, bucket) => sum + bucket.delivered, 0)).toBeGreaterThan(0);
    const all = await fixture.operator.adminGetStats({ query: { tenantId: fixture.delivery.tenantId } });
    expect(all.pending).toBeGreaterThanOrEqual(0);
  });

  it('portal: a customer-scoped token from a headers hook, the code exchange, revocation', async () => {
    const { tenant } = fixture;
    const own = await fixture.delivery.sqsDestination('sdk-portal');
    await fixture.delivery.sqsDestination('sdk-portal-other');
    const session = await tenant.createPortalSession({ body: { customerExternalId: own.customerExternalId } });
    let token: string | undefined = session.token;
    const portal = fixture.client({ apiKey: () => token });
    expect((await portal.listDestinations()).data.map((d) => d.id)).toEqual([own.id]);

    const code = new URL(session.url).hash.replace('#code=', '');
    const exchanged = await fixture.client({}).exchangePortalCode({ body: { code } });
    expect(exchanged.customerExternalId).toBe(own.customerExternalId);
    token = exchanged.token;
    expect((await portal.getDestination({ path: { id: own.id } })).id).toBe(own.id);

    await tenant.revokePortalSessions({ query: { customerExternalId: own.customerExternalId } });
    expect((await problemOf(portal.listDestinations())).status).toBe(401);
  });

  it('console: a cookie session with the CSRF header, through a custom fetch', async () => {
    let cookie = '';
    const consoleClient = fixture.client({
      headers: { 'x-sluice-csrf': '1' },
      fetch: async (request) => {
        if (cookie) request.headers.set('cookie', cookie);
        const response = await fetch(request);
        const set = response.headers.getSetCookie();
        if (set.length) cookie = set.map((line) => line.split(';')[0]).join('; ');
        return response;
      },
    });
    expect((await consoleClient.createConsoleSession({ body: { key: testOperatorKey } })).kind).toBe('operator');
    expect((await consoleClient.getConsoleSession()).kind).toBe('operator');
    expect((await consoleClient.listTenants()).data.length).toBeGreaterThan(0);
    await consoleClient.deleteConsoleSession();
    expect((await problemOf(consoleClient.getConsoleSession())).status).toBe(401);
  });

  it('alerts and key rotation status', async () => {
    const alerts = await fixture.tenant.listAlerts({ query: { limit: 10 } });
    expect(alerts).toEqual({ data: [], nextCursor: null });
    // Other test files share the database (and seal under other keys): only this API's own keys are asserted.
    const keys = await fixture.operator.getEncryptionKeys();
    expect(keys).toMatchObject({ currentKeyId: expect.any(String), previousKeyIds: [], rotationComplete: true });
  });

  it('health and readiness', async () => {
    const anonymous = fixture.client({});
    expect(await anonymous.getHealth()).toEqual({ status: 'ok' });
    expect((await anonymous.getReadiness()).status).toBe('ready');
  });

  it('left no operation of the document out', () => {
    expect(fixture.unexercised()).toEqual([]);
  });
});
