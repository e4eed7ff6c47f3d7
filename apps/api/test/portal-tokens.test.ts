import { sampleEvent, startTestStack, type TestStack } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let stack: TestStack;
let admin: { authorization: string };
let mine: string;
let theirs: string;

const destination = (customerExternalId: string, name: string) => ({
  name,
  customerExternalId,
  type: 'sqs',
  config: { queueUrl: `https://sqs.us-east-1.amazonaws.com/123456789012/${name}` },
  auth: { mode: 'assume_role', roleArn: 'arn:aws:iam::123456789012:role/portal' },
});

async function openPortal(customerExternalId: string, ttlSeconds?: number) {
  const response = await stack.app.inject({
    method: 'POST',
    url: '/v1/portal/sessions',
    headers: admin,
    payload: { customerExternalId, ...(ttlSeconds ? { ttlSeconds } : {}) },
  });
  expect(response.statusCode).toBe(201);
  return response.json<{ url: string; token: string; expiresAt: string }>();
}

beforeAll(async () => {
  stack = await startTestStack();
  const tenantId = (await stack.createTenant('Portal')).id;
  admin = (await stack.createKey(tenantId, ['admin', 'ingest'])).auth;
  for (const [customer, name] of [
    ['acct_mine', 'mine'],
    ['acct_theirs', 'theirs'],
  ] as const) {
    const created = await stack.app.inject({
      method: 'POST',
      url: '/v1/destinations',
      headers: admin,
      payload: destination(customer, name),
    });
    if (customer === 'acct_mine') mine = created.json().id;
    else theirs = created.json().id;
  }
});
afterAll(() => stack.close());

describe('customer-scoped portal tokens', () => {
  it("see only their customer's destinations; another customer's are 404, creating for one is 403", async () => {
    const session = await openPortal('acct_mine');
    const headers = { authorization: `Bearer ${session.token}` };
    expect(session.url).toMatch(/\/portal\?session=[0-9a-f-]+#code=pc_/);
    expect(session.url).not.toContain(session.token);

    const list = await stack.app.inject({ method: 'GET', url: '/v1/destinations', headers });
    expect(list.json().data.map((d: { id: string }) => d.id)).toEqual([mine]);
    const named = await stack.app.inject({
      method: 'GET',
      url: '/v1/destinations?customerExternalId=acct_theirs',
      headers,
    });
    expect(named.json().data).toEqual([]);

    for (const [method, url] of [
      ['GET', `/v1/destinations/${theirs}`],
      ['PATCH', `/v1/destinations/${theirs}`],
      ['POST', `/v1/destinations/${theirs}/pause`],
      ['GET', `/v1/destinations/${theirs}/setup`],
      ['DELETE', `/v1/destinations/${theirs}`],
    ] as const) {
      const response = await stack.app.inject({
        method,
        url,
        headers,
        ...(method === 'PATCH' ? { payload: { name: 'x' } } : {}),
      });
      expect(response.statusCode, `${method} ${url}`).toBe(404);
    }
    expect((await stack.app.inject({ method: 'GET', url: `/v1/destinations/${mine}`, headers })).statusCode).toBe(200);

    const foreign = await stack.app.inject({
      method: 'POST',
      url: '/v1/destinations',
      headers,
      payload: destination('acct_theirs', 'sneaky'),
    });
    expect(foreign.statusCode).toBe(403);
    const own = await stack.app.inject({
      method: 'POST',
      url: '/v1/destinations',
      headers,
      payload: destination('acct_mine', 'second'),
    });
    expect(own.statusCode).toBe(201);
  });

  it("cannot ingest, reach /v1/admin or open portal sessions; reads only its customer's deliveries", async () => {
    const { token } = await openPortal('acct_mine');
    const headers = { authorization: `Bearer ${token}` };
    const cases: [string, string, number][] = [
      ['POST', '/v1/events', 403],
      ['GET', '/v1/events', 403],
      ['GET', '/v1/admin/tenants', 403],
      ['POST', '/v1/portal/sessions', 403],
      ['GET', '/v1/stats', 200],
      ['GET', '/v1/dlq', 200],
      ['GET', '/v1/deliveries', 200],
    ];
    for (const [method, url, status] of cases) {
      const response = await stack.app.inject({
        method: method === 'POST' ? 'POST' : 'GET',
        url,
        headers,
        ...(method === 'POST' ? { payload: sampleEvent() } : {}),
      });
      expect(response.statusCode, `${method} ${url}`).toBe(status);
    }
    // A delivery to another customer's destination is not there for this token.
    const event = await stack.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: admin,
      payload: sampleEvent({ customerExternalId: 'acct_theirs' }),
    });
    const { rows } = await stack.database.pool.query(
      `insert into deliveries (id, tenant_id, event_id, destination_id, order_seq, expires_at)
       select gen_random_uuid(), tenant_id, id, $2, seq, now() + interval '1 day' from events where id = $1 returning id`,
      [event.json().id, theirs],
    );
    const theirDelivery = rows[0].id;
    expect(
      (await stack.app.inject({ method: 'GET', url: `/v1/deliveries/${theirDelivery}`, headers })).statusCode,
    ).toBe(404);
    expect(
      (await stack.app.inject({ method: 'GET', url: `/v1/deliveries/${theirDelivery}`, headers: admin })).statusCode,
    ).toBe(200);
    const listed = await stack.app.inject({ method: 'GET', url: '/v1/deliveries', headers });
    expect(listed.json().data).toEqual([]);
  });

  it('answers 401 when tampered with, expired, or after its customer is revoked', async () => {
    const session = await openPortal('acct_mine');
    const other = await openPortal('acct_theirs');
    const call = (token: string) =>
      stack.app.inject({ method: 'GET', url: '/v1/destinations', headers: { authorization: `Bearer ${token}` } });
    expect((await call(`${session.token.slice(0, -2)}xx`)).statusCode).toBe(401);

    await stack.database.pool.query(
      "update portal_tokens set expires_at = now() - interval '1 s' where customer_external_id = 'acct_theirs'",
    );
    expect((await call(other.token)).statusCode).toBe(401);

    expect((await call(session.token)).statusCode).toBe(200);
    const revoked = await stack.app.inject({
      method: 'DELETE',
      url: '/v1/portal/sessions?customerExternalId=acct_mine',
      headers: admin,
    });
    expect(revoked.statusCode).toBe(204);
    expect((await call(session.token)).statusCode).toBe(401);
  });

  it("trades the URL's code once for the portal page's own token", async () => {
    const session = await openPortal('acct_mine');
    const code = new URL(session.url).hash.replace('#code=', '');
    const exchange = () => stack.app.inject({ method: 'POST', url: '/v1/portal/exchange', payload: { code } });
    const first = await exchange();
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ customerExternalId: 'acct_mine', expiresAt: session.expiresAt });
    expect((await exchange()).statusCode).toBe(401);
    const browser = { authorization: `Bearer ${first.json().token}` };
    expect(
      (await stack.app.inject({ method: 'GET', url: `/v1/destinations/${theirs}`, headers: browser })).statusCode,
    ).toBe(404);
    expect(
      (await stack.app.inject({ method: 'GET', url: `/v1/destinations/${mine}`, headers: browser })).statusCode,
    ).toBe(200);
    await stack.app.inject({
      method: 'DELETE',
      url: '/v1/portal/sessions?customerExternalId=acct_mine',
      headers: admin,
    });
    expect((await stack.app.inject({ method: 'GET', url: '/v1/destinations', headers: browser })).statusCode).toBe(401);
  });

  it('refuses a bad ttl or customer with field errors', async () => {
    const response = await stack.app.inject({
      method: 'POST',
      url: '/v1/portal/sessions',
      headers: admin,
      payload: { customerExternalId: '', ttlSeconds: 5 },
    });
    expect(response.statusCode).toBe(400);
    expect(
      response
        .json()
        .errors.map((e: { path: string }) => e.path)
        .sort(),
    ).toEqual(['customerExternalId', 'ttlSeconds']);
  });
});

describe('OpenAPI', () => {
  it('documents the portal, console, stats, setup and tenant routes', async () => {
    const doc = (await stack.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const expected: [string, string][] = [
      ['/v1/portal/sessions', 'post'],
      ['/v1/portal/sessions', 'delete'],
      ['/v1/portal/exchange', 'post'],
      ['/v1/console/session', 'post'],
      ['/v1/stats', 'get'],
      ['/v1/admin/stats', 'get'],
      ['/v1/destinations/{id}/setup', 'get'],
      ['/v1/admin/tenants/{tenantId}', 'patch'],
      ['/v1/admin/tenants/{tenantId}/api-keys', 'get'],
    ];
    for (const [path, method] of expected) expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    expect(doc.paths['/console']).toBeUndefined();
  });
});

describe('portal framing', () => {
  it("lets the operator set the tenant's frame-ancestors; the portal page sends them, the console none", async () => {
    const tenant = await stack.createTenant('Framed');
    const key = await stack.createKey(tenant.id, ['admin']);
    const bad = await stack.app.inject({
      method: 'PATCH',
      url: `/v1/admin/tenants/${tenant.id}`,
      headers: stack.operator,
      payload: { portal: { frameAncestors: ["https://ok.example.com; script-src 'unsafe-inline'"] } },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toBe('portal.frameAncestors.0');
    const patched = await stack.app.inject({
      method: 'PATCH',
      url: `/v1/admin/tenants/${tenant.id}`,
      headers: stack.operator,
      payload: { portal: { frameAncestors: ['https://app.example.com', 'https://*.example.org'] } },
    });
    expect(patched.json().portal.frameAncestors).toEqual(['https://app.example.com', 'https://*.example.org']);

    const session = await stack.app.inject({
      method: 'POST',
      url: '/v1/portal/sessions',
      headers: key.auth,
      payload: { customerExternalId: 'acct_framed' },
    });
    const page = await stack.app.inject({
      method: 'GET',
      url: new URL(session.json().url).pathname + new URL(session.json().url).search,
    });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain(
      'frame-ancestors https://app.example.com https://*.example.org',
    );
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['x-frame-options']).toBeUndefined();

    const unknown = await stack.app.inject({ method: 'GET', url: '/portal?session=nope' });
    expect(unknown.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    const consolePage = await stack.app.inject({ method: 'GET', url: '/console' });
    expect(consolePage.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(consolePage.headers['x-frame-options']).toBe('DENY');
    expect(consolePage.body).toMatch(/<script type="module" crossorigin src="\/assets\/console-[\w-]+\.js">/);
    expect(consolePage.body).not.toMatch(/<script>|<style>|https?:\/\//);
  });
});
