import type { Message } from '@aws-sdk/client-sqs';
import { type AwsEmulators, startAwsEmulators } from '@sluice/testing/aws-emulators';
import { createQueue, type EmulatorClients, emulatorClients, receiveAll } from '@sluice/testing/aws-test-resources';
import { type FaultProxy, startFaultProxy } from '@sluice/testing/fault-proxy';
import { freePort, type ServiceProcess, startServiceProcess } from '@sluice/testing/service-process';
import { waitFor } from '@sluice/testing/stack';
import { type StallProxy, startStallProxy } from '@sluice/testing/tcp-stall-proxy';
import { testDatabaseUrl, testOperatorKey, testRedisUrl } from '@sluice/testing/test-env';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AcceptedEvent, runLoad } from './load-generator.ts';

/**
 * Steady load through two real API processes and two real worker processes sharing one
 * PostgreSQL and one Redis, while things break: one worker is SIGKILLed, Redis loses
 * everything, an API restarts, SQS answers 500s and throttles, and PostgreSQL connections
 * stall. Then every accepted event must have reached every destination, FIFO in order.
 */
let emulators: AwsEmulators;
let aws: EmulatorClients;
let sqsFaults: FaultProxy;
let database: StallProxy;
let db: pg.Pool;
let env: Record<string, string>;
const ports: number[] = [];
const apis: ServiceProcess[] = [];
const workers: ServiceProcess[] = [];
const urlOf = (api: number) => `http://127.0.0.1:${ports[api]}`;
const customer = `chaos-${process.pid}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(method: string, path: string, key: string, body?: object) {
  const response = await fetch(`${urlOf(0)}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return response.json() as Promise<{ id: string; key: string; auth: { externalId: string } }>;
}

beforeAll(async () => {
  emulators = await startAwsEmulators();
  aws = emulatorClients(emulators);
  sqsFaults = await startFaultProxy({ target: emulators.sqsSnsEndpoint });
  const pgUrl = new URL(testDatabaseUrl);
  database = await startStallProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
  pgUrl.port = String(database.port);
  db = new pg.Pool({ connectionString: testDatabaseUrl });
  ports.push(await freePort(), await freePort());
  env = {
    ...emulators.env,
    AWS_ENDPOINT_URL_SQS: sqsFaults.endpoint,
    AWS_ENDPOINT_URL_SNS: sqsFaults.endpoint,
    DATABASE_URL: pgUrl.toString(),
    DELIVERY_LEASE_SECONDS: '3',
  };
  for (const port of ports) apis.push(await startServiceProcess('api', { ...env, PORT: String(port) }));
  workers.push(await startServiceProcess('worker', env), await startServiceProcess('worker', env));
});

afterAll(async () => {
  for (const running of [...apis, ...workers]) running.kill('SIGKILL');
  await db?.end();
  aws?.destroy();
  await Promise.allSettled([sqsFaults?.stop(), database?.stop(), emulators?.stop()]);
});

async function register(apiKey: string, name: string, config: Record<string, unknown>) {
  const roleArn = `arn:aws:iam::000000000000:role/${name}`;
  const destination = await call('POST', '/v1/destinations', apiKey, {
    name,
    customerExternalId: customer,
    type: 'sqs',
    config,
    auth: { mode: 'assume_role', roleArn },
  });
  emulators.fakeSts.allowRole(roleArn, destination.auth.externalId);
  return destination.id as string;
}

async function chaos(log: string[]) {
  const step = (what: string) => log.push(`${new Date().toISOString()} ${what}`);
  await sleep(2_000);
  step('SIGKILL one worker (the other goes on)');
  workers[0]!.kill('SIGKILL');
  await workers[0]!.exited;
  await sleep(1_000);
  workers[0] = await startServiceProcess('worker', env);
  step('worker restarted');
  await sleep(2_000);
  step('Redis FLUSHALL');
  const redis = new Redis(testRedisUrl);
  await redis.flushall();
  redis.disconnect();
  await sleep(2_000);
  step('one API restarts (SIGTERM, then start)');
  apis[1]!.kill('SIGTERM');
  await apis[1]!.exited;
  apis[1] = await startServiceProcess('api', { ...env, PORT: String(ports[1]) });
  await sleep(2_000);
  step('SQS answers 500s and throttles');
  sqsFaults.inject({
    action: 'SendMessageBatch',
    fault: { kind: 'error', status: 500, code: 'InternalError' },
    times: 15,
  });
  sqsFaults.inject({
    action: 'SendMessageBatch',
    fault: { kind: 'error', status: 400, code: 'ThrottlingException' },
    times: 15,
  });
  await sleep(3_000);
  step('PostgreSQL connections stall for 3 s');
  await database.stall(3_000);
  step('chaos over');
}

async function drainQueue(queueUrl: string, expected: number): Promise<Message[]> {
  const seen: Message[] = [];
  await waitFor(async () => {
    seen.push(...(await receiveAll(aws.sqs, queueUrl)));
    return seen.length >= expected;
  }, 60_000);
  await sleep(1_000);
  return [...seen, ...(await receiveAll(aws.sqs, queueUrl))];
}

describe('resilience under chaos', () => {
  it('delivers every accepted event to every destination: standard at least once, FIFO exactly once and in order', async () => {
    const tenant = await call('POST', '/v1/admin/tenants', testOperatorKey, { name: 'Chaos' });
    const { key } = await call('POST', `/v1/admin/tenants/${tenant.id}/api-keys`, testOperatorKey, {
      name: 'chaos',
      scopes: ['ingest', 'admin'],
    });
    const standardUrl = await createQueue(aws.sqs, `chaos-${process.pid}`);
    const fifoUrl = await createQueue(aws.sqs, `chaos-${process.pid}.fifo`);
    const standardId = await register(key, 'chaos-standard', { queueUrl: standardUrl });
    const fifoId = await register(key, 'chaos-fifo', { queueUrl: fifoUrl, messageGroupIdField: 'payload.group' });

    const log: string[] = [];
    const [load] = await Promise.all([
      runLoad({
        // Half the lanes post to each API process.
        baseUrl: (lane) => urlOf(lane % 2),
        apiKey: key,
        customerExternalId: customer,
        lanes: 8,
        durationMs: 20_000,
        pauseMs: 40,
      }),
      chaos(log),
    ]);
    const accepted = load.accepted;
    expect(accepted.length).toBeGreaterThan(500);

    await waitFor(async () => {
      const { rows } = await db.query(
        "select count(*) filter (where status = 'delivered') as delivered, count(*) as total from deliveries where destination_id = any($1)",
        [[standardId, fifoId]],
      );
      return Number(rows[0].delivered) === accepted.length * 2 && Number(rows[0].total) === accepted.length * 2;
    }, 120_000);

    const standard = await drainQueue(standardUrl, accepted.length);
    const fifo = await drainQueue(fifoUrl, accepted.length);
    const idsOf = (messages: Message[]) => messages.map((m) => JSON.parse(m.Body!).id as string);
    const standardIds = new Set(idsOf(standard));
    const missingStandard = accepted.filter((e) => !standardIds.has(e.id));
    const fifoIds = idsOf(fifo);
    const byGroup = new Map<string, number[]>();
    for (const message of fifo) {
      const body = JSON.parse(message.Body!) as { payload: AcceptedEvent };
      byGroup.set(body.payload.group, [...(byGroup.get(body.payload.group) ?? []), body.payload.n]);
    }

    console.log(
      [
        'resilience report',
        ...log,
        `accepted events: ${accepted.length} (client retries: ${load.retries}, 5xx seen: ${load.serverErrors})`,
        `standard queue: ${standard.length} messages, ${standardIds.size} distinct, ${missingStandard.length} missing`,
        `FIFO queue: ${fifo.length} messages, ${new Set(fifoIds).size} distinct, groups ${byGroup.size}`,
      ].join('\n'),
    );

    expect(missingStandard).toEqual([]);
    expect(fifoIds.sort()).toEqual(accepted.map((e) => e.id).sort());
    for (const [group, ns] of byGroup) {
      const sent = accepted.filter((e) => e.group === group).map((e) => e.n);
      expect(ns, `group ${group}`).toEqual(sent);
    }
    for (const api of [0, 1]) expect((await fetch(`${urlOf(api)}/readyz`)).status).toBe(200);
  });
});
