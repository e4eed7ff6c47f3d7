import { buildApp } from '@sluice/api/app';
import { createAwsRuntime } from '@sluice/aws/aws-runtime';
import { parseConfig } from '@sluice/config/env';
import { connectConfiguredDatabase, type DatabaseHandle } from '@sluice/db/client';
import type { DrainOptions } from '@sluice/delivery/drain-service';
import { createProducerConnection, createWorkerConnection } from '@sluice/jobs/redis';
import { createLogger } from '@sluice/logger/logger';
import { type RunningWorkers, startWorkers, type WorkerDeps } from '@sluice/worker/workers';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { testDatabaseUrl, testOperatorKey, testRedisUrl } from './test-env.ts';

/**
 * The real API (and, on request, the real workers) over the real PostgreSQL and Redis,
 * in this process. Tests drive the API with inject() and read PostgreSQL directly.
 */
export interface TestStack {
  app: FastifyInstance;
  database: DatabaseHandle;
  redis: Redis;
  workers: RunningWorkers | undefined;
  startWorkers(): RunningWorkers;
  operator: { authorization: string };
  createTenant(name?: string): Promise<{ id: string; name: string }>;
  createKey(
    tenantId: string,
    scopes?: ('ingest' | 'admin')[],
  ): Promise<{ id: string; key: string; auth: { authorization: string } }>;
  close(): Promise<void>;
}

export interface TestStackOptions {
  workers?: boolean;
  operatorKey?: string | null;
  /** AWS variables (AWS_ENDPOINT_URL_*, ...), e.g. an emulator's `env`, possibly routed through a fault proxy. */
  awsEnv?: Record<string, string>;
  drain?: Partial<DrainOptions>;
  /** The alert evaluator's interval and confirmation time (short in tests). */
  alerts?: WorkerDeps['alerts'];
  /** Point the stack elsewhere, e.g. at a port where nothing listens. */
  databaseUrl?: string;
  redisUrl?: string;
  /** More configuration (limits, timeouts), as environment variables. */
  env?: Record<string, string>;
  /** Receives every log line (JSON, after redaction) at level trace, to check what is logged. */
  logStream?: { write(line: string): void };
}

export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const logStream = options.logStream;
  // createLogger takes no destination: the write hook hands each finished (redacted) line to the
  // stream and leaves nothing for stdout.
  const logger = logStream
    ? createLogger({
        level: 'trace',
        hooks: {
          streamWrite: (line) => {
            logStream.write(line);
            return '';
          },
        },
      })
    : createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const operatorKey = options.operatorKey === null ? undefined : (options.operatorKey ?? testOperatorKey);
  const awsEnv = options.awsEnv ?? {};
  // The SDK's default chain (the service's own identity for STS) reads these from the process.
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const) {
    if (awsEnv[name]) process.env[name] = awsEnv[name];
  }
  const config = parseConfig({
    NODE_ENV: 'test',
    DATABASE_URL: options.databaseUrl ?? testDatabaseUrl,
    REDIS_URL: options.redisUrl ?? testRedisUrl,
    ...(operatorKey ? { OPERATOR_API_KEY: operatorKey } : {}),
    ...awsEnv,
    ...options.env,
  });
  const database = connectConfiguredDatabase(config, { max: 20 });
  const redis = createProducerConnection(config.REDIS_URL, { commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS });
  redis.on('error', () => {});
  const aws = createAwsRuntime(config);
  const app = await buildApp({ config, aws, database, redis, logger });
  const workerRedis: Redis[] = [];

  const stack: TestStack = {
    app,
    database,
    redis,
    workers: undefined,
    operator: { authorization: `Bearer ${operatorKey}` },
    startWorkers() {
      const connection = createWorkerConnection(config.REDIS_URL);
      connection.on('error', () => {});
      workerRedis.push(connection);
      stack.workers = startWorkers({
        database,
        workerRedis: connection,
        producerRedis: redis,
        aws,
        awsEndpoints: config.awsEndpoints,
        logger,
        sweeper: { intervalMs: 60_000 },
        // Tests run these passes themselves (workers.inspector.runOnce(), workers.retention.runOnce()),
        // when they need them.
        inspector: { firstRunMs: 3_600_000, intervalMs: 3_600_000 },
        resealer: { firstRunMs: 3_600_000, intervalMs: 3_600_000 },
        retention: {
          retentionDays: config.RETENTION_DAYS,
          auditRetentionDays: config.AUDIT_RETENTION_DAYS,
          firstRunMs: 3_600_000,
          intervalMs: 3_600_000,
        },
        pollIntervalMs: 200,
        drain: options.drain,
        alerts: options.alerts,
      });
      return stack.workers;
    },
    async createTenant(name = 'Acme') {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/admin/tenants',
        headers: stack.operator,
        payload: { name },
      });
      if (response.statusCode !== 201) throw new Error(`createTenant: ${response.statusCode} ${response.body}`);
      return response.json();
    },
    async createKey(tenantId, scopes = ['ingest', 'admin']) {
      const response = await app.inject({
        method: 'POST',
        url: `/v1/admin/tenants/${tenantId}/api-keys`,
        headers: stack.operator,
        payload: { name: 'test key', scopes },
      });
      if (response.statusCode !== 201) throw new Error(`createKey: ${response.statusCode} ${response.body}`);
      const body = response.json();
      return { id: body.id, key: body.key, auth: { authorization: `Bearer ${body.key}` } };
    },
    async close() {
      await stack.workers?.close();
      await app.close();
      aws.destroy();
      await Promise.allSettled([database.close(), redis.quit(), ...workerRedis.map((r) => r.quit())]);
    },
  };
  if (options.workers) stack.startWorkers();
  return stack;
}

/** A valid event; override any field. */
export function sampleEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventType: 'order.completed',
    occurredAt: '2026-05-26T14:21:08.493Z',
    source: 'billing-service',
    customerExternalId: 'acct_8K2zRq',
    idempotencyKey: `key-${Math.random().toString(36).slice(2)}`,
    correlationId: 'req_4f30b2',
    payload: { orderId: 'ord_38a91f', amount: 12900 },
    metadata: { tier: 'pro', region: 'us-east-1' },
    ...overrides,
  };
}

/** Polls until check() returns a truthy value or the time is up. */
export async function waitFor<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`waitFor: condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
