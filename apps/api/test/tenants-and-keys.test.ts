import { createHash } from 'node:crypto';
import { sampleEvent, startTestStack, type TestStack } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.close());

const postEvent = (authorization: string) =>
  stack.app.inject({ method: 'POST', url: '/v1/events', headers: { authorization }, payload: sampleEvent() });

describe('operator routes', () => {
  it('creates and lists tenants, newest first', async () => {
    await stack.createTenant('Initech');
    const created = await stack.app.inject({
      method: 'POST',
      url: '/v1/admin/tenants',
      headers: stack.operator,
      payload: { name: 'Globex' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({
      id: expect.any(String),
      name: 'Globex',
      createdAt: expect.any(String),
      portal: { frameAncestors: [] },
    });
    const list = await stack.app.inject({ method: 'GET', url: '/v1/admin/tenants?limit=1', headers: stack.operator });
    expect(list.json()).toEqual({ data: [created.json()], nextCursor: expect.any(String) });
  });

  it('answers 401 without a key or with a wrong one, and 403 for a tenant key', async () => {
    const tenantKey = await stack.createKey((await stack.createTenant()).id, ['admin']);
    const cases: [Record<string, string>, number][] = [
      [{}, 401],
      [{ authorization: 'Bearer wrong-operator-key-0123456789abcdefghij' }, 401],
      [{ authorization: 'Basic abc' }, 401],
      [tenantKey.auth, 403],
    ];
    for (const [headers, status] of cases) {
      const response = await stack.app.inject({ method: 'GET', url: '/v1/admin/tenants', headers });
      expect(response.statusCode).toBe(status);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('answers 401 on operator routes when OPERATOR_API_KEY is not configured', async () => {
    const unconfigured = await startTestStack({ operatorKey: null });
    try {
      const response = await unconfigured.app.inject({
        method: 'GET',
        url: '/v1/admin/tenants',
        headers: stack.operator,
      });
      expect(response.statusCode).toBe(401);
    } finally {
      await unconfigured.close();
    }
  });

  it('validates tenant and key input', async () => {
    const tenant = await stack.createTenant();
    const bad = [
      { url: '/v1/admin/tenants', payload: { name: '' } },
      { url: `/v1/admin/tenants/${tenant.id}/api-keys`, payload: { name: 'k', scopes: ['root'] } },
      { url: `/v1/admin/tenants/${tenant.id}/api-keys`, payload: { name: 'k', scopes: [] } },
      { url: `/v1/admin/tenants/${tenant.id}/api-keys`, payload: { name: 'k', scopes: ['admin', 'admin'] } },
    ];
    for (const { url, payload } of bad) {
      const response = await stack.app.inject({ method: 'POST', url, headers: stack.operator, payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
    }
    const missing = await stack.app.inject({
      method: 'POST',
      url: '/v1/admin/tenants/01a206aa-0000-7000-8000-000000000000/api-keys',
      headers: stack.operator,
      payload: { name: 'k', scopes: ['ingest'] },
    });
    expect(missing.statusCode).toBe(404);
  });
});

describe('tenant API keys', () => {
  it('shows the key once and stores only its SHA-256', async () => {
    const tenant = await stack.createTenant();
    const { id, key } = await stack.createKey(tenant.id, ['ingest']);
    expect(key).toMatch(/^sk_[A-Za-z0-9_-]{43}$/);
    const rows = await stack.database.pool.query('select * from api_keys where id = $1', [id]);
    expect(JSON.stringify(rows.rows)).not.toContain(key);
    expect(rows.rows[0].key_hash).toBe(createHash('sha256').update(key).digest('hex'));
  });

  it('shows when a key was last used, once its process has recorded it', async () => {
    const tenant = await stack.createTenant();
    const used = await stack.createKey(tenant.id, ['ingest']);
    const idle = await stack.createKey(tenant.id, ['ingest']);
    const listKeys = async (on: TestStack) =>
      (
        await on.app.inject({ method: 'GET', url: `/v1/admin/tenants/${tenant.id}/api-keys`, headers: on.operator })
      ).json().data as { id: string; lastUsedAt: string | null }[];
    expect((await listKeys(stack)).every((key) => key.lastUsedAt === null)).toBe(true);
    // A process of its own, closed after one request: closing writes what it noted.
    const other = await startTestStack();
    const before = Date.now();
    expect(
      (await other.app.inject({ method: 'POST', url: '/v1/events', headers: used.auth, payload: sampleEvent() }))
        .statusCode,
    ).toBe(202);
    await other.close();
    const keys = new Map((await listKeys(stack)).map((key) => [key.id, key.lastUsedAt]));
    expect(Date.parse(keys.get(used.id) ?? '')).toBeGreaterThanOrEqual(before - 1_000);
    expect(keys.get(idle.id)).toBeNull();
  });

  it('answers 401 once revoked, and 404 for a key that does not exist', async () => {
    const { id, auth } = await stack.createKey((await stack.createTenant()).id, ['ingest']);
    expect((await postEvent(auth.authorization)).statusCode).toBe(202);
    const revoke = await stack.app.inject({
      method: 'DELETE',
      url: `/v1/admin/api-keys/${id}`,
      headers: stack.operator,
    });
    expect(revoke.statusCode).toBe(204);
    const after = await postEvent(auth.authorization);
    expect(after.statusCode).toBe(401);
    expect(after.json().code).toBe('unauthorized');
    const unknown = await stack.app.inject({
      method: 'DELETE',
      url: '/v1/admin/api-keys/nope',
      headers: stack.operator,
    });
    expect(unknown.statusCode).toBe(404);
  });

  it('keeps the operator key off tenant routes', async () => {
    const response = await postEvent(stack.operator.authorization);
    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('forbidden');
  });
});
