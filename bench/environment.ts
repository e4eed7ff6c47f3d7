import { randomBytes } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import { recreateDatabase } from '@sluice/db/migrate';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from '@sluice/testing/aws-emulators';
import { createQueue } from '@sluice/testing/aws-test-resources';
import { type FakeSts, startFakeSts } from '@sluice/testing/fake-sts';
import { startPrivateRedis } from '@sluice/testing/private-redis';
import { FIFO_CUSTOMER, STANDARD_CUSTOMER } from './events.ts';
import { type BenchProcess, benchFile, freePort, spawnNode } from './processes.ts';
import { settings } from './settings.ts';

/**
 * The system under test, started afresh for every run: a dedicated database (dropped and
 * migrated), a private redis-server, fauxqs and the fake STS, then the API and the worker
 * as separate processes exactly as `npm start` runs them. Everything listens on 127.0.0.1.
 */

export const benchDatabaseUrl = settings.databaseUrl;
const instrumentation = benchFile('instrument-clients.ts');

export interface BenchEnvironment {
  databaseUrl: string;
  redisUrl: string;
  redisPid: number;
  fauxqs: BenchProcess;
  fauxqsEndpoint: string;
  api: BenchProcess;
  apiUrl: string;
  worker: BenchProcess;
  /** Another worker process like the first (the scale-out phase). */
  startWorker(name: string): Promise<BenchProcess>;
  sqs: SQSClient;
  tenantId: string;
  ingestAuth: { authorization: string };
  standardQueue: string;
  fifoQueue: string;
  /** Environment for further Sluice-like processes (the ingest ceiling). */
  processEnv: Record<string, string>;
  stop(): Promise<void>;
}

/** Drops and re-creates the bench database; refuses any database not named for the bench. */
async function resetDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!name.startsWith('sluice_bench'))
    throw new Error(`refusing to reset ${name}: the bench only resets sluice_bench*`);
  await recreateDatabase(url);
}

async function call<T>(baseUrl: string, path: string, auth: { authorization: string }, body: unknown): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function registerSqsDestination(
  env: { apiUrl: string; admin: { authorization: string }; fakeSts: FakeSts },
  customerExternalId: string,
  queueUrl: string,
  config: Record<string, unknown> = {},
): Promise<void> {
  const roleArn = `arn:aws:iam::000000000000:role/bench-${customerExternalId}`;
  const destination = await call<{ auth: { externalId: string } }>(env.apiUrl, '/v1/destinations', env.admin, {
    name: `bench ${customerExternalId}`,
    customerExternalId,
    type: 'sqs',
    config: { queueUrl, ...config },
    auth: { mode: 'assume_role', roleArn },
  });
  env.fakeSts.allowRole(roleArn, destination.auth.externalId);
}

export async function startBenchEnvironment(): Promise<BenchEnvironment> {
  await resetDatabase(benchDatabaseUrl);
  // Its own redis-server: INFO commandstats then counts Sluice's commands alone, not those of
  // other test runs sharing the machine's Redis.
  const redis = await startPrivateRedis();
  const fakeSts = await startFakeSts();
  const fauxqs = await spawnNode({
    name: 'fauxqs',
    entry: benchFile('fauxqs-server.ts'),
    env: { ...(process.env as Record<string, string>) },
    ready: /fauxqs listening at (\S+)/,
  });
  const fauxqsEndpoint = /fauxqs listening at (\S+)/.exec(fauxqs.output())![1]!;
  const operatorKey = randomBytes(32).toString('hex');
  const processEnv: Record<string, string> = {
    ...(process.env as Record<string, string>),
    NODE_ENV: 'production',
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    DATABASE_URL: benchDatabaseUrl,
    REDIS_URL: redis.url,
    OPERATOR_API_KEY: operatorKey,
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    AWS_REGION: EMULATOR_REGION,
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_SQS: fauxqsEndpoint,
    AWS_ENDPOINT_URL_SNS: fauxqsEndpoint,
    AWS_ENDPOINT_URL_STS: fakeSts.endpoint,
    // The per-tenant ingest limit stays on (every request takes its token, leased from Redis),
    // high enough never to refuse the bench.
    DEFAULT_INGEST_PER_SECOND: '1000000',
  };
  const apiPort = await freePort();
  const api = await spawnNode({
    name: 'api',
    entry: 'apps/api/src/main.ts',
    env: { ...processEnv, PORT: String(apiPort), LOG_LEVEL: 'info' },
    ready: /Server listening/,
    preload: [instrumentation],
  });
  const startWorker = (name: string) =>
    spawnNode({
      name,
      entry: 'apps/worker/src/main.ts',
      env: { ...processEnv, WORKER_METRICS_PORT: '0', LOG_LEVEL: 'info' },
      ready: /workers started/,
      preload: [instrumentation],
    });
  const worker = await startWorker('worker');
  const apiUrl = `http://127.0.0.1:${apiPort}`;

  const operator = { authorization: `Bearer ${operatorKey}` };
  const tenant = await call<{ id: string }>(apiUrl, '/v1/admin/tenants', operator, { name: 'bench' });
  const key = (scopes: string[]) =>
    call<{ key: string }>(apiUrl, `/v1/admin/tenants/${tenant.id}/api-keys`, operator, { name: 'bench', scopes });
  const admin = { authorization: `Bearer ${(await key(['admin'])).key}` };
  const ingestAuth = { authorization: `Bearer ${(await key(['ingest'])).key}` };

  const sqs = new SQSClient({
    region: EMULATOR_REGION,
    credentials: EMULATOR_CREDENTIALS,
    endpoint: fauxqsEndpoint,
    maxAttempts: 1,
  });
  const standardQueue = await createQueue(sqs, 'bench-standard');
  const fifoQueue = await createQueue(sqs, 'bench-fifo.fifo');
  const registration = { apiUrl, admin, fakeSts };
  await registerSqsDestination(registration, STANDARD_CUSTOMER, standardQueue);
  // One FIFO destination with FIFO_GROUPS message groups: the group is the event's payload.accountId.
  await registerSqsDestination(registration, FIFO_CUSTOMER, fifoQueue, { messageGroupIdField: 'payload.accountId' });

  return {
    databaseUrl: benchDatabaseUrl,
    redisUrl: redis.url,
    redisPid: redis.pid,
    fauxqs,
    fauxqsEndpoint,
    api,
    apiUrl,
    worker,
    startWorker,
    sqs,
    tenantId: tenant.id,
    ingestAuth,
    standardQueue,
    fifoQueue,
    processEnv,
    async stop() {
      // The worker first: it finishes its in-flight batches while fauxqs still answers.
      await Promise.allSettled([api.stop(), worker.stop()]);
      sqs.destroy();
      await Promise.allSettled([fauxqs.stop(), fakeSts.stop(), redis.stop()]);
    },
  };
}
