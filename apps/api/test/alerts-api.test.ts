import { newId } from '@sluice/db/ids';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CUSTOMER,
  type DestinationsHarness,
  destinationInput,
  startDestinationsHarness,
} from './destinations-support.ts';

let h: DestinationsHarness;
beforeAll(async () => {
  h = await startDestinationsHarness();
});
afterAll(() => h.close());

const DEFAULTS = { dlqOpenAbove: 10, oldestPendingSecondsAbove: 900, failingForSeconds: 300 };

/** An alert as the evaluator leaves it (the evaluator itself is tested with the workers). */
async function openAlert(tenantId: string, destinationId: string, customer: string, rule = 'dlqOpenAbove') {
  const id = newId();
  await h.stack.database.pool.query(
    `insert into alerts (id, tenant_id, destination_id, customer_external_id, rule, value, threshold, opened_at)
     values ($1, $2, $3, $4, $5, 12, 10, now())`,
    [id, tenantId, destinationId, customer, rule],
  );
  return id;
}

describe('alert rules on destinations', () => {
  it('answers the defaults on create, keeps unnamed rules on PATCH, and turns a rule off with null', async () => {
    const created = await h.create();
    expect(created.alerts).toEqual(DEFAULTS);

    const patched = await h.call('PATCH', `/v1/destinations/${created.id}`, { alerts: { dlqOpenAbove: 0 } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().alerts).toEqual({ ...DEFAULTS, dlqOpenAbove: 0 });

    const off = await h.call('PATCH', `/v1/destinations/${created.id}`, { alerts: { failingForSeconds: null } });
    expect(off.json().alerts).toEqual({ ...DEFAULTS, dlqOpenAbove: 0, failingForSeconds: null });
    expect((await h.call('GET', `/v1/destinations/${created.id}`)).json().alerts).toEqual(off.json().alerts);

    const chosen = await h.create({ alerts: { oldestPendingSecondsAbove: 60, dlqOpenAbove: null } });
    expect(chosen.alerts).toEqual({ dlqOpenAbove: null, oldestPendingSecondsAbove: 60, failingForSeconds: 300 });
  });

  it('refuses rules that are not whole numbers in range, or unknown, naming the field', async () => {
    for (const [alerts, path] of [
      [{ dlqOpenAbove: -1 }, 'alerts.dlqOpenAbove'],
      [{ oldestPendingSecondsAbove: 0 }, 'alerts.oldestPendingSecondsAbove'],
      [{ failingForSeconds: 1.5 }, 'alerts.failingForSeconds'],
      [{ failingForSeconds: '300' }, 'alerts.failingForSeconds'],
      [{ dlqOpen: 3 }, 'alerts.dlqOpen'],
    ] as const) {
      const response = await h.call('POST', '/v1/destinations', destinationInput({ alerts }));
      expect(response.statusCode, JSON.stringify(alerts)).toBe(400);
      expect(response.json().errors.map((e: { path: string }) => e.path)).toContain(path);
    }
  });
});

describe('health in every destination answer', () => {
  it('is healthy since creation before anything is sent, paused while paused, and what the drains recorded', async () => {
    const created = await h.create();
    expect(created.health).toEqual({ state: 'healthy', since: created.createdAt, detail: 'Nothing sent yet.' });
    const paused = (await h.call('POST', `/v1/destinations/${created.id}/pause`)).json();
    expect(paused.health).toMatchObject({ state: 'paused', detail: expect.stringContaining('Paused') });
    await h.call('POST', `/v1/destinations/${created.id}/resume`);

    await h.stack.database.pool.query(
      `insert into destination_health (destination_id, tenant_id, state, since, detail)
       values ($1, $2, 'failing', '2026-11-27T10:00:00Z', 'AccessDenied: fix the trust policy')`,
      [created.id, h.tenantId],
    );
    const failing = {
      state: 'failing',
      since: '2026-11-27T10:00:00.000Z',
      detail: 'AccessDenied: fix the trust policy',
    };
    expect((await h.call('GET', `/v1/destinations/${created.id}`)).json().health).toEqual(failing);
    const listed = (await h.call('GET', `/v1/destinations?customerExternalId=${CUSTOMER}&limit=200`)).json().data;
    expect(listed.find((d: { id: string }) => d.id === created.id).health).toEqual(failing);
    const disabled = await h.call('PATCH', `/v1/destinations/${created.id}`, { enabled: false });
    expect(disabled.json().health).toMatchObject({ state: 'paused', detail: 'Disabled: nothing is sent.' });
  });
});

describe('GET /v1/alerts', () => {
  it("lists the tenant's open alerts, filtered by destination or customer, and pages them", async () => {
    const mine = await h.create({ customerExternalId: 'acct_alerts_mine' });
    const theirs = await h.create({ customerExternalId: 'acct_alerts_theirs' });
    const first = await openAlert(h.tenantId, mine.id, 'acct_alerts_mine', 'dlqOpenAbove');
    const second = await openAlert(h.tenantId, mine.id, 'acct_alerts_mine', 'failingForSeconds');
    await openAlert(h.tenantId, theirs.id, 'acct_alerts_theirs');

    const byDestination = await h.call('GET', `/v1/alerts?destinationId=${mine.id}`);
    expect(byDestination.statusCode).toBe(200);
    expect(byDestination.json()).toEqual({
      data: [
        expect.objectContaining({ id: second, rule: 'failingForSeconds' }),
        {
          id: first,
          state: 'open',
          destinationId: mine.id,
          destinationName: 'Customer SQS queue',
          customerExternalId: 'acct_alerts_mine',
          rule: 'dlqOpenAbove',
          value: 12,
          threshold: 10,
          since: expect.stringMatching(/Z$/),
          resolvedAt: null,
        },
      ],
      nextCursor: null,
    });
    const page = (await h.call('GET', '/v1/alerts?customerExternalId=acct_alerts_mine&limit=1')).json();
    expect(page.data.map((a: { id: string }) => a.id)).toEqual([second]);
    const rest = (
      await h.call('GET', `/v1/alerts?customerExternalId=acct_alerts_mine&cursor=${page.nextCursor}`)
    ).json();
    expect(rest.data.map((a: { id: string }) => a.id)).toEqual([first]);

    expect((await h.call('GET', '/v1/alerts?destinationId=not-an-id')).statusCode).toBe(400);
  });

  it("shows a portal token its own customer's alerts only, and no other tenant's", async () => {
    const mine = await h.create({ customerExternalId: 'acct_portal_mine' });
    const other = await h.create({ customerExternalId: 'acct_portal_other' });
    const alertId = await openAlert(h.tenantId, mine.id, 'acct_portal_mine');
    await openAlert(h.tenantId, other.id, 'acct_portal_other');
    const session = await h.call('POST', '/v1/portal/sessions', { customerExternalId: 'acct_portal_mine' });
    const portal = { authorization: `Bearer ${session.json().token}` };

    const seen = (await h.call('GET', '/v1/alerts', undefined, portal)).json().data;
    expect(seen.map((a: { id: string }) => a.id)).toEqual([alertId]);
    const asked = await h.call('GET', '/v1/alerts?customerExternalId=acct_portal_other', undefined, portal);
    expect(asked.json()).toEqual({ data: [], nextCursor: null });

    const otherTenant = await h.stack.createTenant('Other');
    const { auth } = await h.stack.createKey(otherTenant.id, ['admin']);
    expect((await h.call('GET', `/v1/alerts?destinationId=${mine.id}`, undefined, auth)).json().data).toEqual([]);
    const ingestOnly = await h.stack.createKey(h.tenantId, ['ingest']);
    expect((await h.call('GET', '/v1/alerts', undefined, ingestOnly.auth)).statusCode).toBe(403);
  });
});

describe('OpenAPI', () => {
  it('documents GET /v1/alerts, the alert rules and the health of destinations', async () => {
    const doc = (await h.call('GET', '/openapi.json')).json();
    expect(doc.paths['/v1/alerts']?.get?.description).toContain('sluice.alert.opened');
    const { schemas } = doc.components;
    expect(Object.keys(schemas.Alert.properties)).toEqual(
      expect.arrayContaining(['destinationId', 'rule', 'value', 'threshold', 'since']),
    );
    expect(Object.keys(schemas.AlertRulesInput.properties)).toEqual([
      'dlqOpenAbove',
      'oldestPendingSecondsAbove',
      'failingForSeconds',
    ]);
    expect(schemas.Destination.properties.health.$ref ?? schemas.Destination.properties.health).toBeDefined();
    expect(schemas.DestinationHealth.properties.state.enum).toEqual(['healthy', 'throttled', 'failing', 'paused']);
    expect(schemas.DestinationInput.properties.alerts).toBeDefined();
    expect(schemas.DestinationUpdate.properties.alerts).toBeDefined();
  });
});
