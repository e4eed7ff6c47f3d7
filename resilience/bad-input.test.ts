import { connect } from 'node:net';
import { freePort, type ServiceProcess, startServiceProcess } from '@sluice/testing/service-process';
import { testOperatorKey } from '@sluice/testing/test-env';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Hostile and broken input against the real API process: every answer 4xx, never 5xx, and it stays healthy. */
let api: ServiceProcess;
let port: number;
let baseUrl: string;
let apiKey: string;

beforeAll(async () => {
  port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  api = await startServiceProcess('api', { PORT: String(port) });
  const headers = { authorization: `Bearer ${testOperatorKey}`, 'content-type': 'application/json' };
  const tenant = (await (
    await fetch(`${baseUrl}/v1/admin/tenants`, { method: 'POST', headers, body: '{"name":"Hostile"}' })
  ).json()) as { id: string };
  const key = (await (
    await fetch(`${baseUrl}/v1/admin/tenants/${tenant.id}/api-keys`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'k', scopes: ['ingest', 'admin'] }),
    })
  ).json()) as { key: string };
  apiKey = key.key;
});
afterAll(async () => {
  api?.kill('SIGTERM');
  await api?.exited;
});

const event = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    eventType: 'order.completed',
    occurredAt: '2026-05-26T14:21:08.493Z',
    source: 'fuzz',
    customerExternalId: 'acct_1',
    idempotencyKey: `k-${Math.random()}`,
    payload: { a: 1 },
    ...overrides,
  });

const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

// Each body is sent raw, as a client might (or an attacker would).
const hostileBodies: [string, string][] = [
  ['malformed JSON', '{"eventType": "a",'],
  ['not JSON at all', 'hello'],
  ['an empty body', ''],
  ['null', 'null'],
  ['an array', '[1,2,3]'],
  ['a number', '42'],
  ['deep nesting (10,000 levels)', event().replace('{"a":1}', deep(10_000))],
  ['deep nesting (100,000 levels)', deep(100_000)],
  ['a huge eventType', event({ eventType: 'x'.repeat(900_000) })],
  ['a huge key', `{"${'k'.repeat(900_000)}": 1}`],
  [
    'wrong types everywhere',
    JSON.stringify({
      eventType: 1,
      occurredAt: true,
      source: [],
      customerExternalId: {},
      idempotencyKey: null,
      payload: 'x',
    }),
  ],
  ['__proto__ at the top', `{"__proto__": {"admin": true}, ${event().slice(1)}`],
  ['__proto__ in the payload', event().replace('{"a":1}', '{"__proto__": {"polluted": true}}')],
  [
    'constructor.prototype in the payload',
    event().replace('{"a":1}', '{"constructor": {"prototype": {"polluted": true}}}'),
  ],
  ['a NUL in a payload string', event({ payload: { a: 'x\u0000y' } })],
  ['a lone surrogate', event({ idempotencyKey: '\ud800' })],
  ['a lone surrogate in the payload', event({ payload: { a: '\udfff' } })],
  ['an over-long UTF-8 sequence', Buffer.from([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d]).toString('latin1')],
  ['right-to-left and zero-width characters in eventType', event({ eventType: 'order\u202e.\u200bcompleted' })],
  ['a date far out of range', event({ occurredAt: '+275760-09-13T00:00:00.001Z' })],
  ['a body just over 1 MiB', event({ payload: { blob: 'x'.repeat(1024 * 1024) } })],
  ['a batch of 501', JSON.stringify({ events: Array.from({ length: 501 }, () => ({})) })],
];

async function post(path: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...headers },
    body,
  });
}

/** One raw HTTP/1.1 exchange, for requests fetch() refuses to send. */
function raw(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
    socket.setTimeout(5_000, () => socket.destroy(new Error('no answer')));
  });
}

describe('hostile input', () => {
  it.each(hostileBodies)('answers %s with a 4xx problem', async (_name, body) => {
    for (const path of ['/v1/events', '/v1/events/batch']) {
      const response = await post(path, body);
      expect(response.status, path).toBeGreaterThanOrEqual(400);
      expect(response.status, path).toBeLessThan(500);
      if (response.status !== 413) expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('keeps the prototype clean', () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('does not let a request smuggle a header into the answer', async () => {
    const answer = await raw(
      'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: ok\r\nSet-Cookie: injected=1\r\nConnection: close\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(answer.toLowerCase()).not.toContain('set-cookie');
    const folded = await raw(
      'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: a\r\n b: c\r\nConnection: close\r\n\r\n',
    );
    expect(folded).toMatch(/^HTTP\/1\.1 400/);
    const control = await raw(
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: a\u0001b\r\nConnection: close\r\n\r\n`,
    );
    expect(control).toMatch(/^HTTP\/1\.1 (200|400)/);
    expect(control.toLowerCase()).not.toContain('x-request-id: a\u0001b');
  });

  it('answers 1,000 requests with bad keys 401, and stays healthy', async () => {
    const badKeys = [
      '',
      'Bearer',
      'Bearer ',
      'Bearer sk_nope',
      `Bearer sk_${'A'.repeat(43)}`,
      `Bearer ${'x'.repeat(8_000)}`,
      'Basic dXNlcjpwYXNz',
      'bearer\tsk_tab',
      `Bearer ${testOperatorKey}x`,
    ];
    const statuses: number[] = [];
    for (let start = 0; start < 1_000; start += 50) {
      const batch = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          fetch(`${baseUrl}/v1/events`, {
            method: 'POST',
            headers: { authorization: badKeys[(start + i) % badKeys.length]!, 'content-type': 'application/json' },
            body: event(),
          }).then((r) => r.status),
        ),
      );
      statuses.push(...batch);
    }
    expect(statuses).toHaveLength(1_000);
    expect(statuses.filter((s) => s !== 401)).toEqual([]);
    expect((await fetch(`${baseUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${baseUrl}/readyz`)).status).toBe(200);
    const good = await post('/v1/events', event());
    expect(good.status).toBe(202);
    expect(api.output()).not.toContain('"level":50');
  });
});
