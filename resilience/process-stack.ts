import type { Message } from '@aws-sdk/client-sqs';
import { type AwsEmulators, startAwsEmulators } from '@sluice/testing/aws-emulators';
import { createQueue, type EmulatorClients, emulatorClients, receiveAll } from '@sluice/testing/aws-test-resources';
import { freePort, type ServiceProcess, startServiceProcess } from '@sluice/testing/service-process';
import { waitFor } from '@sluice/testing/stack';
import { testOperatorKey } from '@sluice/testing/test-env';

/**
 * The real API and worker processes over the AWS emulators, for tests that break PostgreSQL
 * or Redis under them: one tenant with a key and an SQS queue registered as its destination.
 */
export interface ProcessStack {
  baseUrl: string;
  api: ServiceProcess;
  worker: ServiceProcess;
  apiKey: string;
  customerExternalId: string;
  queueUrl: string;
  aws: EmulatorClients;
  /** Every message that reached the queue so far (received and deleted: call it again for more). */
  received: Message[];
  /** Waits until the queue holds every one of these event ids (each message's body is the event). */
  waitForDelivery(eventIds: readonly string[], timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startProcessStack(env: Record<string, string>, name: string): Promise<ProcessStack> {
  const emulators: AwsEmulators = await startAwsEmulators();
  const aws = emulatorClients(emulators);
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const processEnv = { ...emulators.env, PORT: String(port), ...env };
  const api = await startServiceProcess('api', processEnv);
  const worker = await startServiceProcess('worker', processEnv);

  const call = async (method: string, path: string, key: string, body?: object) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<{ id: string; key: string; auth: { externalId: string } }>;
  };
  const tenant = await call('POST', '/v1/admin/tenants', testOperatorKey, { name });
  const { key: apiKey } = await call('POST', `/v1/admin/tenants/${tenant.id}/api-keys`, testOperatorKey, {
    name,
    scopes: ['ingest', 'admin'],
  });
  const customerExternalId = `${name}-${process.pid}`;
  const queueUrl = await createQueue(aws.sqs, `${name}-${process.pid}`);
  const roleArn = `arn:aws:iam::000000000000:role/${name}`;
  const destination = await call('POST', '/v1/destinations', apiKey, {
    name,
    customerExternalId,
    type: 'sqs',
    config: { queueUrl },
    auth: { mode: 'assume_role', roleArn },
  });
  emulators.fakeSts.allowRole(roleArn, destination.auth.externalId);

  const received: Message[] = [];
  return {
    baseUrl,
    api,
    worker,
    apiKey,
    customerExternalId,
    queueUrl,
    aws,
    received,
    async waitForDelivery(eventIds, timeoutMs) {
      const arrived = new Set<string>();
      await waitFor(async () => {
        for (const message of await receiveAll(aws.sqs, queueUrl)) {
          received.push(message);
          arrived.add((JSON.parse(message.Body!) as { id: string }).id);
        }
        return eventIds.every((id) => arrived.has(id));
      }, timeoutMs).catch(() => {
        const missing = eventIds.filter((id) => !arrived.has(id));
        throw new Error(
          `${missing.length} of ${eventIds.length} accepted events never arrived: ${missing.slice(0, 5)}`,
        );
      });
    },
    async stop() {
      for (const running of [api, worker]) running.kill('SIGKILL');
      aws.destroy();
      await emulators.stop();
    },
  };
}

/** An event for the stack's customer; the same key again is the same event. */
export function eventFor(
  stack: Pick<ProcessStack, 'customerExternalId'>,
  idempotencyKey: string,
  payload: object = {},
) {
  return {
    eventType: 'order.updated',
    occurredAt: new Date().toISOString(),
    source: 'resilience',
    customerExternalId: stack.customerExternalId,
    idempotencyKey,
    payload,
  };
}

/** POSTs one event; answers the status, the id when accepted, and how long the answer took. */
export async function timedPost(stack: Pick<ProcessStack, 'baseUrl' | 'apiKey'>, body: object) {
  const started = performance.now();
  try {
    const response = await fetch(`${stack.baseUrl}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const answer = (await response.json()) as { id?: string };
    return { status: response.status, id: answer.id, ms: performance.now() - started };
  } catch {
    return { status: 0, id: undefined, ms: performance.now() - started };
  }
}
