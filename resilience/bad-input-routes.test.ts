import { freePort, type ServiceProcess, startServiceProcess } from '@sluice/testing/service-process';
import { testOperatorKey } from '@sluice/testing/test-env';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Hostile input on every route of the real API process, read from its own OpenAPI document (a
 * route added later is covered without touching this file): every path parameter, every query
 * parameter, an undocumented one, and broken bodies. Nothing may answer 5xx, and the process
 * must stay healthy.
 */
let api: ServiceProcess;
let baseUrl: string;
let tenantKey: string;
let operations: Operation[];

interface Operation {
  method: string;
  path: string;
  query: string[];
  pathParams: string[];
  hasBody: boolean;
}

beforeAll(async () => {
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  api = await startServiceProcess('api', { PORT: String(port) });
  const headers = { authorization: `Bearer ${testOperatorKey}`, 'content-type': 'application/json' };
  const tenant = (await (
    await fetch(`${baseUrl}/v1/admin/tenants`, { method: 'POST', headers, body: '{"name":"Fuzzed"}' })
  ).json()) as { id: string };
  tenantKey = (
    (await (
      await fetch(`${baseUrl}/v1/admin/tenants/${tenant.id}/api-keys`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: 'k', scopes: ['ingest', 'admin'] }),
      })
    ).json()) as { key: string }
  ).key;
  const doc = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { parameters?: { in: string; name: string }[]; requestBody?: unknown }>>;
  };
  operations = Object.entries(doc.paths).flatMap(([path, byMethod]) =>
    Object.entries(byMethod).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      query: (operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
      pathParams: (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
      hasBody: operation.requestBody !== undefined,
    })),
  );
});
afterAll(async () => {
  api?.kill('SIGTERM');
  await api?.exited;
});

// Raw, already percent-encoded where a URL needs it.
const hostileValues = [
  '',
  '%00',
  'a%00b',
  '%ED%A0%80',
  '%',
  '%zz',
  'x'.repeat(4_000),
  '..%2F..%2Fetc%2Fpasswd',
  "'%20or%201%3D1%20--",
  '-1',
  '0',
  '1e309',
  '9'.repeat(400),
  'null',
  '%5B%5D',
  '%7B%7D',
  '__proto__',
  '%E2%80%AE%E2%80%8B',
  '+275760-09-13T00:00:00.001Z',
  '0000-00-00T00:00:00Z',
  '019a5c1e-7b2f-7c3e-9d41-1f2e3a4b5c6d',
];

const hostileBodies = [
  '',
  'null',
  '[]',
  '"text"',
  '{"a":',
  '{"name":"\\u0000"}',
  '{"name":"\\ud800"}',
  '{"__proto__":{"x":1}}',
  '{"constructor":{"prototype":{"x":1}}}',
  `{"name":${'9'.repeat(400)}}`,
  `{"limits":{"ingestPerSecond":1e400}}`,
  `${'['.repeat(5_000)}${']'.repeat(5_000)}`,
  `{"k":"${'x'.repeat(900_000)}"}`,
];

const someId = '019a5c1e-7b2f-7c3e-9d41-1f2e3a4b5c6d';

function urlOf(operation: Operation, pathValues: Record<string, string>, query = ''): string {
  const path = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => pathValues[name] ?? someId);
  return `${baseUrl}${path}${query ? `?${query}` : ''}`;
}

async function send(operation: Operation, url: string, body?: string) {
  const key = operation.path.startsWith('/v1/admin') ? testOperatorKey : tenantKey;
  try {
    const response = await fetch(url, {
      method: operation.method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body }),
      // A hang is a failure too, reported with the request that caused it.
      signal: AbortSignal.timeout(10_000),
    });
    await response.arrayBuffer();
    return response.status;
  } catch (error) {
    if (error instanceof DOMException && error.name === 'TimeoutError') return 599;
    throw error;
  }
}

describe('hostile input on every route', () => {
  it('never answers 5xx to a hostile path or query parameter, documented or not', async () => {
    const failures: string[] = [];
    for (const operation of operations) {
      const attempts: string[] = [];
      for (const value of hostileValues) {
        for (const name of operation.pathParams) attempts.push(urlOf(operation, { [name]: value }));
        for (const name of [...operation.query, 'undocumented']) {
          attempts.push(urlOf(operation, {}, `${name}=${value}`));
          attempts.push(urlOf(operation, {}, `${name}=${value}&${name}=${value}`));
        }
      }
      for (const url of attempts) {
        const status = await send(operation, url, operation.hasBody ? '{}' : undefined);
        if (status >= 500) failures.push(`${status} ${operation.method} ${url.slice(0, 200)}`);
      }
    }
    expect(operations.length).toBeGreaterThan(25);
    expect(failures).toEqual([]);
  });

  it('never answers 5xx to a broken body, on every route that takes one (and those that take none)', async () => {
    const failures: string[] = [];
    for (const operation of operations.filter((o) => o.method !== 'GET' && o.method !== 'DELETE')) {
      for (const body of hostileBodies) {
        const status = await send(operation, urlOf(operation, {}), body);
        if (status >= 500) failures.push(`${status} ${operation.method} ${operation.path} ${body.slice(0, 60)}`);
      }
    }
    expect(failures).toEqual([]);
    expect((await fetch(`${baseUrl}/readyz`)).status).toBe(200);
    expect(api.output()).not.toContain('"level":50');
  });
});
