import { startTestStack, type TestStack } from '@sluice/testing/stack';
import { testDatabaseUrl, testRedisUrl } from '@sluice/testing/test-env';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.close());

/** A stack whose PostgreSQL or Redis points at a port where nothing listens. */
const stackWithDead = (dead: 'postgres' | 'redis') =>
  startTestStack(
    dead === 'postgres'
      ? { databaseUrl: testDatabaseUrl.replace(/:\d+\//, ':1/') }
      : { redisUrl: testRedisUrl.replace(/:\d+(\/\d+)?$/, ':1') },
  );

describe('operations', () => {
  it('answers /healthz and /readyz 200 when PostgreSQL and Redis answer', async () => {
    expect((await stack.app.inject('/healthz')).statusCode).toBe(200);
    const ready = await stack.app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { postgres: true, redis: true } });
  });

  it.each(['postgres', 'redis'] as const)('answers /readyz 503 when %s is down, /healthz still 200', async (dead) => {
    const broken = await stackWithDead(dead);
    try {
      const ready = await broken.app.inject('/readyz');
      expect(ready.statusCode).toBe(503);
      expect(ready.json().checks[dead]).toBe(false);
      expect((await broken.app.inject('/healthz')).statusCode).toBe(200);
    } finally {
      await broken.close();
    }
  });

  it('serves the OpenAPI 3.1 document of every route, and /docs renders it', async () => {
    const doc = (await stack.app.inject('/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    for (const path of [
      '/v1/events',
      '/v1/events/batch',
      '/v1/events/{id}',
      '/v1/admin/tenants',
      '/v1/admin/api-keys/{keyId}',
    ]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect(doc.components.schemas.EventInput.required).toEqual(
      expect.arrayContaining(['eventType', 'occurredAt', 'source', 'customerExternalId', 'idempotencyKey', 'payload']),
    );
    const docs = await stack.app.inject('/docs/');
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
  });

  it('exposes Prometheus metrics', async () => {
    const metrics = await stack.app.inject('/metrics');
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('sluice_events_accepted_total');
  });

  it('answers unknown routes with a problem+json 404', async () => {
    const response = await stack.app.inject('/v1/nothing-here');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'not_found', status: 404 });
  });
});
