import { sampleEvent, startTestStack, type TestStack } from '@sluice/testing/stack';
import { type StallProxy, startStallProxy } from '@sluice/testing/tcp-stall-proxy';
import { testDatabaseUrl } from '@sluice/testing/test-env';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The last line against a hang: whatever a request waits on (here a PostgreSQL that stops
 * answering, with store timeouts longer than the request's), it is answered 503 once
 * HTTP_REQUEST_TIMEOUT_MS and its grace have passed, and /readyz says so meanwhile.
 */
let proxy: StallProxy;
let stack: TestStack;
beforeAll(async () => {
  const url = new URL(testDatabaseUrl);
  proxy = await startStallProxy({ host: url.hostname, port: Number(url.port || 5432) });
  url.port = String(proxy.port);
  stack = await startTestStack({
    databaseUrl: url.toString(),
    env: {
      HTTP_REQUEST_TIMEOUT_MS: '500',
      DATABASE_STATEMENT_TIMEOUT_MS: '60000',
      DATABASE_CONNECT_TIMEOUT_MS: '60000',
    },
  });
});
afterAll(async () => {
  await stack?.close();
  await proxy?.stop();
});

describe('a request that cannot finish', () => {
  it('is answered 503 service_unavailable with Retry-After, not left hanging', async () => {
    const { auth } = await stack.createKey((await stack.createTenant()).id, ['ingest']);
    // The key is now cached: the request below waits on its own query, not on authentication.
    expect(
      (await stack.app.inject({ method: 'POST', url: '/v1/events', headers: auth, payload: sampleEvent() })).statusCode,
    ).toBe(202);

    const stall = proxy.stall(9_000);
    try {
      const [ready, read] = await Promise.all([
        stack.app.inject('/readyz'),
        stack.app.inject({ method: 'GET', url: '/v1/events', headers: auth }),
      ]);
      expect(ready.statusCode).toBe(503);
      expect(ready.json().checks.postgres).toBe(false);
      expect(read.statusCode).toBe(503);
      expect(read.json()).toMatchObject({ code: 'service_unavailable', status: 503 });
      expect(read.headers['retry-after']).toBeDefined();
    } finally {
      await stall;
    }
    expect((await stack.app.inject({ method: 'GET', url: '/v1/events', headers: auth })).statusCode).toBe(200);
  });
});
