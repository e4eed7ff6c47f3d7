import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CUSTOMER,
  type DestinationsHarness,
  destinationInput,
  type Json,
  startDestinationsHarness,
} from './destinations-support.ts';

/**
 * Who may reach a destination: only an admin key of its own tenant. Another tenant's id answers
 * 404 exactly like an unknown one (never revealing that it exists), a key without the admin
 * scope 403, the operator key 403, no key or a revoked one 401.
 */

let h: DestinationsHarness;
let otherAdmin: { authorization: string };
let theirs: Json & { id: string };
beforeAll(async () => {
  h = await startDestinationsHarness();
  const other = await h.stack.createTenant('Tenant B');
  otherAdmin = (await h.stack.createKey(other.id, ['admin'])).auth;
  const created = await h.call('POST', '/v1/destinations', destinationInput({ name: 'B queue' }), otherAdmin);
  theirs = created.json();
});
afterAll(() => h.close());

const UNKNOWN_ID = '019a5c1e-7b2f-7c3e-9d41-1f2e3a4b5c6d';

/** Every destination route, for one id. */
const routes = (id: string): [method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: Json][] => [
  ['GET', `/v1/destinations/${id}`],
  ['PATCH', `/v1/destinations/${id}`, { name: 'Taken over', enabled: false }],
  ['POST', `/v1/destinations/${id}/pause`],
  ['POST', `/v1/destinations/${id}/resume`],
  ['POST', `/v1/destinations/${id}/test`],
  ['DELETE', `/v1/destinations/${id}`],
];

describe("another tenant's destination", () => {
  it('answers 404 on every route, word for word as an unknown id, and stays unchanged', async () => {
    // B's own create inspected its destination; nothing after that may be on B's behalf.
    const stsCallsBefore = h.emulators.fakeSts.assumeRoleCalls().length;
    for (const [method, url, payload] of routes(theirs.id)) {
      const response = await h.call(method, url, payload);
      const unknown = await h.call(method, url.replace(theirs.id, UNKNOWN_ID), payload);
      expect(response.statusCode, `${method} ${url}`).toBe(404);
      const { requestId: _a, ...problem } = response.json();
      const { requestId: _b, ...unknownProblem } = unknown.json();
      expect(problem, `${method} ${url}`).toEqual(unknownProblem);
      expect(problem.code).toBe('not_found');
    }
    const after = await h.call('GET', `/v1/destinations/${theirs.id}`, undefined, otherAdmin);
    expect(after.statusCode).toBe(200);
    expect(after.json()).toEqual(theirs);
    // The test route did not send anything on B's behalf: no STS call for B's role from A.
    expect(h.emulators.fakeSts.assumeRoleCalls()).toHaveLength(stsCallsBefore);
  });

  it('is not listed, whatever the filters', async () => {
    const mine = await h.create({ name: 'A queue' });
    for (const query of ['', `?customerExternalId=${CUSTOMER}`, '?type=sqs', '?limit=200']) {
      const ids = (await h.call('GET', `/v1/destinations${query}`)).json().data.map((d: { id: string }) => d.id);
      expect(ids, query).toContain(mine.id);
      expect(ids, query).not.toContain(theirs.id);
    }
    const theirList = (await h.call('GET', '/v1/destinations?limit=200', undefined, otherAdmin)).json();
    expect(theirList.data.map((d: { id: string }) => d.id)).toEqual([theirs.id]);
  });

  it("cannot be reached with a cursor taken from the other tenant's list", async () => {
    await h.call('POST', '/v1/destinations', destinationInput({ name: 'B second' }), otherAdmin);
    const page = (await h.call('GET', '/v1/destinations?limit=1', undefined, otherAdmin)).json();
    expect(page.nextCursor).toEqual(expect.any(String));
    const mine = (await h.call('GET', `/v1/destinations?limit=200&cursor=${page.nextCursor}`)).json();
    expect(mine.data.map((d: { id: string }) => d.id)).not.toContain(theirs.id);
  });
});

describe('keys that may not manage destinations', () => {
  it('answers 403 to an ingest-only key and to the operator key on every route, 401 without a valid key', async () => {
    const ingest = (await h.stack.createKey(h.tenantId, ['ingest'])).auth;
    const revoked = await h.stack.createKey(h.tenantId, ['admin']);
    const revoke = await h.stack.app.inject({
      method: 'DELETE',
      url: `/v1/admin/api-keys/${revoked.id}`,
      headers: h.stack.operator,
    });
    expect(revoke.statusCode).toBe(204);
    const mine = await h.create();
    const all: [method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: Json][] = [
      ['POST', '/v1/destinations', destinationInput()],
      ['GET', '/v1/destinations'],
      ...routes(mine.id),
    ];
    const cases: [string, Record<string, string>, number, string][] = [
      ['ingest key', ingest, 403, 'forbidden'],
      ['operator key', h.stack.operator, 403, 'forbidden'],
      ['no key', {}, 401, 'unauthorized'],
      ['revoked key', revoked.auth, 401, 'unauthorized'],
      ['malformed header', { authorization: 'Token abc' }, 401, 'unauthorized'],
    ];
    for (const [who, headers, status, code] of cases) {
      for (const [method, url, payload] of all) {
        const response = await h.stack.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
        expect(response.statusCode, `${who}: ${method} ${url}`).toBe(status);
        expect(response.headers['content-type']).toContain('application/problem+json');
        expect(response.json().code).toBe(code);
      }
    }
    // Nothing was created, changed or deleted by any of them.
    expect((await h.call('GET', `/v1/destinations/${mine.id}`)).json()).toEqual(mine);
  });
});
