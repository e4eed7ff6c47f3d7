import { startTestStack, type TestStack } from '@sluice/testing/stack';
import { testOperatorKey } from '@sluice/testing/test-env';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let stack: TestStack;
let tenantId: string;
const csrf = { 'x-sluice-csrf': '1' };

beforeAll(async () => {
  stack = await startTestStack();
  tenantId = (await stack.createTenant('Console')).id;
});
afterAll(() => stack.close());

async function signIn(key: string) {
  const response = await stack.app.inject({
    method: 'POST',
    url: '/v1/console/session',
    headers: csrf,
    payload: { key },
  });
  const setCookie = String(response.headers['set-cookie'] ?? '');
  return { response, setCookie, cookie: setCookie.split(';')[0] ?? '' };
}

describe('console sessions', () => {
  it('exchanges a tenant admin key for an HttpOnly, SameSite=Strict cookie that acts as the key', async () => {
    const key = await stack.createKey(tenantId, ['admin']);
    const { response, setCookie, cookie } = await signIn(key.key);
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ kind: 'tenant', tenantId, tenantName: 'Console' });
    expect(setCookie).toMatch(/^sluice_console=cs_[\w-]+; Max-Age=3600; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(setCookie).not.toContain(key.key);
    const stored = await stack.database.pool.query('select token_hash from console_sessions');
    expect(stored.rows.map((row) => row.token_hash)).not.toContain(cookie.split('=')[1]);

    const me = await stack.app.inject({ method: 'GET', url: '/v1/console/session', headers: { cookie } });
    expect(me.json().kind).toBe('tenant');
    const list = await stack.app.inject({ method: 'GET', url: '/v1/destinations', headers: { cookie } });
    expect(list.statusCode).toBe(200);
    // A write without the CSRF header is refused; with it, it goes through.
    const payload = { customerExternalId: 'acct_1' };
    const forged = await stack.app.inject({ method: 'POST', url: '/v1/portal/sessions', headers: { cookie }, payload });
    expect(forged.statusCode).toBe(403);
    const real = await stack.app.inject({
      method: 'POST',
      url: '/v1/portal/sessions',
      headers: { cookie, ...csrf },
      payload,
    });
    expect(real.statusCode).toBe(201);
  });

  it('ends with sign-out, with the revocation of its key, and answers 401 after', async () => {
    const key = await stack.createKey(tenantId, ['admin']);
    const first = (await signIn(key.key)).cookie;
    const second = (await signIn(key.key)).cookie;
    const signOut = await stack.app.inject({
      method: 'DELETE',
      url: '/v1/console/session',
      headers: { cookie: first, ...csrf },
    });
    expect(signOut.statusCode).toBe(204);
    expect(String(signOut.headers['set-cookie'])).toContain('Max-Age=0');
    expect(
      (await stack.app.inject({ method: 'GET', url: '/v1/destinations', headers: { cookie: first } })).statusCode,
    ).toBe(401);
    expect(
      (await stack.app.inject({ method: 'GET', url: '/v1/destinations', headers: { cookie: second } })).statusCode,
    ).toBe(200);
    await stack.app.inject({ method: 'DELETE', url: `/v1/admin/api-keys/${key.id}`, headers: stack.operator });
    expect(
      (await stack.app.inject({ method: 'GET', url: '/v1/destinations', headers: { cookie: second } })).statusCode,
    ).toBe(401);
    expect(
      (await stack.app.inject({ method: 'GET', url: '/v1/console/session', headers: { cookie: second } })).statusCode,
    ).toBe(401);
  });

  it('signs the operator in to the operator routes; refuses ingest-only keys, unknown keys and a missing CSRF header', async () => {
    const operator = await signIn(testOperatorKey);
    expect(operator.response.json().kind).toBe('operator');
    const tenants = await stack.app.inject({
      method: 'GET',
      url: '/v1/admin/tenants',
      headers: { cookie: operator.cookie },
    });
    expect(tenants.statusCode).toBe(200);

    const ingest = await stack.createKey(tenantId, ['ingest']);
    expect((await signIn(ingest.key)).response.statusCode).toBe(403);
    expect((await signIn('sk_unknown')).response.statusCode).toBe(401);
    const noHeader = await stack.app.inject({
      method: 'POST',
      url: '/v1/console/session',
      payload: { key: testOperatorKey },
    });
    expect(noHeader.statusCode).toBe(403);
    const empty = await stack.app.inject({
      method: 'POST',
      url: '/v1/console/session',
      headers: csrf,
      payload: { key: '' },
    });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().errors[0].path).toBe('key');
  });

  it('never answers 500 to garbage cookies', async () => {
    for (const cookie of [
      'sluice_console=',
      'sluice_console=%E0%A4%A',
      'sluice_console=cs_\u0001',
      'a=b; sluice_console=cs_x',
    ]) {
      const response = await stack.app.inject({ method: 'GET', url: '/v1/destinations', headers: { cookie } });
      expect([401]).toContain(response.statusCode);
    }
  });
});
