import { readFile } from 'node:fs/promises';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { recreateDatabase, withAdminClient } from '@sluice/db/migrate';
import { type AwsEmulators, EMULATOR_CREDENTIALS, startAwsEmulators } from '@sluice/testing/aws-emulators';
import { createQueue, createTopic } from '@sluice/testing/aws-test-resources';
import { freePort, type ServiceProcess, startServiceProcess } from '@sluice/testing/service-process';
import { waitFor } from '@sluice/testing/stack';
import { testDatabaseUrl, testOperatorKey } from '@sluice/testing/test-env';
import pg from 'pg';
import { type BenchProcess, benchFile, spawnNode } from '../bench/processes.ts';
import type { LatencySummary } from '../bench/stats.ts';

/**
 * The real API and worker processes, several tenants, and SQS/SNS in a fauxqs process of its
 * own that notes when each message arrived (the bench's recorder): latencies are measured at
 * the queue, in a process the test's own load does not slow down. The fake STS and EventBridge
 * run in the test process.
 */
export interface TenantStack {
  baseUrl: string;
  api: ServiceProcess;
  worker: ServiceProcess;
  fauxqs: BenchProcess;
  emulators: AwsEmulators;
  sqs: SQSClient;
  sns: SNSClient;
  /** The stack's own database, for what the API does not show (delivery states, seeding). */
  pool: pg.Pool;
  addTenant(name: string, limits?: Record<string, number>): Promise<StackTenant>;
  /** Accept-to-arrival of every message a queue got since the last call (by queue name). */
  takeLatencies(queueName: string): Promise<LatencySummary>;
  stop(): Promise<void>;
}

export interface StackTenant {
  id: string;
  key: string;
  call(method: string, path: string, body?: object): Promise<Response>;
  /** Registers a destination (assume_role, let in by the fake STS); answers its id. */
  destination(customerExternalId: string, type: string, config: Record<string, unknown>): Promise<string>;
}

let counter = 0;

export async function startTenantStack(env: Record<string, string> = {}): Promise<TenantStack> {
  // A database of its own, dropped at stop: the floods and large payloads these tests leave
  // behind would otherwise slow every test that runs after them on the shared one.
  const databaseUrl = new URL(testDatabaseUrl);
  databaseUrl.pathname = `${databaseUrl.pathname}_stack_${process.pid}`;
  await recreateDatabase(databaseUrl.toString());
  const emulators = await startAwsEmulators();
  const fauxqs = await spawnNode({
    name: 'fauxqs',
    entry: benchFile('fauxqs-server.ts'),
    env: process.env as Record<string, string>,
    ready: /fauxqs listening at/,
  });
  // Ready comes over IPC just before the address is printed.
  const address = () => /fauxqs listening at (\S+)/.exec(fauxqs.output())?.[1];
  await waitFor(async () => address(), 10_000);
  const sqsEndpoint = address()!;
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const processEnv = {
    ...emulators.env,
    AWS_ENDPOINT_URL_SQS: sqsEndpoint,
    AWS_ENDPOINT_URL_SNS: sqsEndpoint,
    PORT: String(port),
    DATABASE_URL: databaseUrl.toString(),
    ...env,
  };
  const api = await startServiceProcess('api', processEnv);
  const worker = await startServiceProcess('worker', processEnv);
  const common = { region: emulators.region, credentials: EMULATOR_CREDENTIALS, maxAttempts: 1 };
  const sqs = new SQSClient({ ...common, endpoint: sqsEndpoint });
  const sns = new SNSClient({ ...common, endpoint: sqsEndpoint });
  const pool = new pg.Pool({ connectionString: databaseUrl.toString(), max: 4 });

  const call = (key: string) => (method: string, path: string, body?: object) =>
    fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(60_000),
    });
  const json = async <T>(response: Promise<Response>): Promise<T> => {
    const answer = await response;
    if (answer.status >= 300) throw new Error(`${answer.url}: ${answer.status} ${await answer.text()}`);
    return (await answer.json()) as T;
  };
  const operator = call(testOperatorKey);

  return {
    baseUrl,
    api,
    worker,
    fauxqs,
    emulators,
    sqs,
    sns,
    pool,
    async addTenant(name, limits) {
      const tenant = await json<{ id: string }>(operator('POST', '/v1/admin/tenants', { name }));
      if (limits) await json(operator('PATCH', `/v1/admin/tenants/${tenant.id}`, { limits }));
      const { key } = await json<{ key: string }>(
        operator('POST', `/v1/admin/tenants/${tenant.id}/api-keys`, { name, scopes: ['ingest', 'admin'] }),
      );
      const tenantCall = call(key);
      return {
        id: tenant.id,
        key,
        call: tenantCall,
        async destination(customerExternalId, type, config) {
          const roleArn = `arn:aws:iam::000000000000:role/${name}-${++counter}`;
          const created = await json<{ id: string; auth: { externalId: string } }>(
            tenantCall('POST', '/v1/destinations', {
              name: `${name} ${type} ${counter}`,
              customerExternalId,
              type,
              config,
              auth: { mode: 'assume_role', roleArn },
            }),
          );
          emulators.fakeSts.allowRole(roleArn, created.auth.externalId);
          return created.id;
        },
      };
    },
    takeLatencies: (queueName) => fauxqs.ask<LatencySummary>('take-latencies', { queue: queueName }),
    async stop() {
      for (const running of [api, worker]) running.kill('SIGKILL');
      sqs.destroy();
      sns.destroy();
      await Promise.allSettled([fauxqs.stop(), emulators.stop(), pool.end()]);
      await withAdminClient(databaseUrl.toString(), (client, name) =>
        client.query(`drop database if exists "${name}" with (force)`),
      );
    },
  };
}

/** A queue in the stack's fauxqs; answers its name (the recorder's key) and URL. */
export async function stackQueue(
  stack: Pick<TenantStack, 'sqs'>,
  name: string,
  attributes: Record<string, string> = {},
) {
  const base = `${name.replace(/\.fifo$/, '')}-${process.pid}-${++counter}`;
  const queueName = name.endsWith('.fifo') ? `${base}.fifo` : base;
  return { queueName, queueUrl: await createQueue(stack.sqs, queueName, attributes) };
}

/** A topic in the stack's fauxqs (no subscriber: what it is sent is not kept). */
export const stackTopic = (stack: Pick<TenantStack, 'sns'>, name: string) =>
  createTopic(stack.sns, `${name}-${process.pid}-${++counter}`);

/** RSS of a process in bytes, from /proc (0 once it is gone). */
export async function residentBytes(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kib = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kib ? Number(kib) * 1024 : 0;
  } catch {
    return 0;
  }
}
