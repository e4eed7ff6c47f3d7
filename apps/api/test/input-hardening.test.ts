import { connect } from 'node:net';
import { sampleEvent, startTestStack, type TestStack } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destinationInput } from './destinations-support.ts';

/**
 * Every string of every request (path, query, body, keys too) goes through one check, and
 * bodiless POSTs take an empty JSON body: API.md, Conventions.
 */
let stack: TestStack;
let admin: { authorization: string };
let tenantId: string;
let destinationId: string;
beforeAll(async () => {
  stack = await startTestStack({ env: { HTTP_REQUEST_TIMEOUT_MS: '1000' } });
  tenantId = (await stack.createTenant('Hardened')).id;
  admin = (await stack.createKey(tenantId, ['ingest', 'admin'])).auth;
  const created = await stack.app.inject({
    method: 'POST',
    url: '/v1/destinations',
    headers: admin,
    payload: destinationInput(),
  });
  destinationId = created.json().id;
});
afterAll(() => stack.close());

const NUL = '\u0000';
const someId = '019a5c1e-7b2f-7c3e-9d41-1f2e3a4b5c6d';

// [what, method, url, body, who, the field the answer must name]
const unstorable: [string, string, string, unknown, 'operator' | 'admin', string][] = [
  ['a tenant name', 'POST', '/v1/admin/tenants', { name: `a${NUL}b` }, 'operator', 'name'],
  [
    'an API key name',
    'POST',
    '/v1/admin/tenants/TENANT/api-keys',
    { name: NUL, scopes: ['ingest'] },
    'operator',
    'name',
  ],
  ['a path id', 'GET', `/v1/events/a%00b`, undefined, 'admin', 'params.id'],
  ['a tenant path id', 'DELETE', '/v1/admin/api-keys/%00', undefined, 'operator', 'params.keyId'],
  [
    'an event list filter',
    'GET',
    '/v1/events?customerExternalId=a%00b',
    undefined,
    'admin',
    'query.customerExternalId',
  ],
  ['an event type filter', 'GET', '/v1/events?eventType=%00', undefined, 'admin', 'query.eventType'],
  ['a list cursor', 'GET', '/v1/events?cursor=%00', undefined, 'admin', 'query.cursor'],
  ['a destination name', 'POST', '/v1/destinations', { name: NUL }, 'admin', 'name'],
  ['a destination patch', 'PATCH', '/v1/destinations/DEST', { name: `x${NUL}` }, 'admin', 'name'],
  [
    'a destination filter',
    'GET',
    '/v1/destinations?customerExternalId=%00',
    undefined,
    'admin',
    'query.customerExternalId',
  ],
  ['a delivery filter', 'GET', '/v1/deliveries?eventId=%00', undefined, 'admin', 'query.eventId'],
  ['a DLQ filter', 'GET', '/v1/dlq?customerExternalId=%00', undefined, 'admin', 'query.customerExternalId'],
  ['an operator DLQ filter', 'GET', '/v1/admin/dlq?eventType=%00', undefined, 'operator', 'query.eventType'],
  ['a bulk-replay filter', 'POST', '/v1/dlq/replay', { customerExternalId: `c${NUL}` }, 'admin', 'customerExternalId'],
  ['a key of a config', 'POST', '/v1/destinations', { config: { [`k${NUL}`]: 1 } }, 'admin', `config.k${NUL}`],
  ['a lone surrogate in a name', 'POST', '/v1/admin/tenants', { name: '\ud800' }, 'operator', 'name'],
  [
    'a lone surrogate in a query',
    'GET',
    `/v1/dlq?eventType=${encodeURIComponent('x')}%ED%A0%80`,
    undefined,
    'admin',
    '',
  ],
];

describe('the text check on every route', () => {
  it.each(unstorable)(
    'refuses a NUL or lone surrogate in %s with 400 naming the field',
    async (_what, method, url, body, who, path) => {
      const auth = who === 'operator' ? stack.operator : admin;
      const response = await stack.app.inject({
        method: method as 'GET',
        url: url.replace('TENANT', tenantId).replace('DEST', destinationId),
        headers: body === undefined ? auth : { ...auth, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      if (path === '') {
        // %ED%A0%80 is not UTF-8 for anything: it decodes to replacement characters, never a surrogate.
        expect(response.statusCode).toBeLessThan(500);
        return;
      }
      expect(response.statusCode, response.body).toBe(400);
      const problem = response.json();
      expect(problem.code).toBe('validation_failed');
      expect(problem.errors).toContainEqual({ path, message: expect.stringMatching(/NUL|surrogate/) });
    },
  );

  it('refuses a lone surrogate written as a JSON escape', async () => {
    const response = await stack.app.inject({
      method: 'POST',
      url: '/v1/admin/tenants',
      headers: { ...stack.operator, 'content-type': 'application/json' },
      payload: '{"name":"a\\udc00b"}',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([{ path: 'name', message: expect.stringContaining('surrogate') }]);
  });

  it('rejects only the batch item with a NUL, and accepts the others', async () => {
    const response = await stack.app.inject({
      method: 'POST',
      url: '/v1/events/batch',
      headers: admin,
      payload: { events: [sampleEvent(), sampleEvent({ payload: { note: `x${NUL}` } }), sampleEvent()] },
    });
    expect(response.statusCode).toBe(200);
    const results = response.json().results;
    expect(results.map((r: { status: string }) => r.status)).toEqual(['accepted', 'rejected', 'accepted']);
    expect(results[1].errors).toEqual([{ path: 'payload.note', message: expect.stringContaining('NUL') }]);
  });

  it('still refuses prototype-poisoning keys', async () => {
    for (const payload of [
      '{"__proto__":{"x":1}}',
      '{"a":{"constructor":{"prototype":{"x":1}}}}',
      '{"\\u005f_proto__":1}',
    ]) {
      const response = await stack.app.inject({
        method: 'POST',
        url: '/v1/admin/tenants',
        headers: { ...stack.operator, 'content-type': 'application/json' },
        payload,
      });
      expect(response.statusCode, payload).toBe(400);
      expect(response.json().code).toBe('invalid_json');
    }
  });
});

describe('bodiless POSTs', () => {
  const withJson = { 'content-type': 'application/json' };

  it.each([
    ['with content-type and an empty body', withJson, ''],
    ['with content-type and {}', withJson, '{}'],
    ['without content-type', {}, undefined],
  ])('pause, resume and DLQ actions answer %s', async (_name, headers, payload) => {
    const send = (url: string) =>
      stack.app.inject({
        method: 'POST',
        url,
        headers: { ...admin, ...headers },
        ...(payload === undefined ? {} : { payload }),
      });
    expect((await send(`/v1/destinations/${destinationId}/pause`)).statusCode).toBe(200);
    expect((await send(`/v1/destinations/${destinationId}/resume`)).statusCode).toBe(200);
    // No such entry: the answer is about the entry, not the body.
    expect((await send(`/v1/dlq/${someId}/replay`)).statusCode).toBe(404);
    expect((await send(`/v1/dlq/${someId}/discard`)).statusCode).toBe(404);
    const replay = await send('/v1/dlq/replay');
    expect(replay.statusCode, replay.body).toBe(202);
    expect(replay.json()).toEqual({ replayId: expect.any(String), total: 0 });
  });

  it('a route that needs a body says so when it is empty', async () => {
    const response = await stack.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { ...admin, 'content-type': 'application/json' },
      payload: '',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'validation_failed', errors: [{ path: 'body' }] });
  });
});

describe('request timeout', () => {
  it('drops a client that stops sending its body halfway', async () => {
    const address = await stack.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = new URL(address);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () =>
        socket.write(
          `POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: ${admin.authorization}\r\n` +
            'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"eventType":',
        ),
      );
      let text = '';
      socket.on('data', (chunk) => (text += chunk));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
      socket.setTimeout(10_000, () => socket.destroy(new Error('the server kept the connection open')));
    });
    // Node answers 408 and closes (HTTP_REQUEST_TIMEOUT_MS is 1 s; the socket gives it 10).
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });
});
