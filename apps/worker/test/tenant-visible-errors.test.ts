import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { keyIdOf } from '@sluice/aws/secret-box';
import { DEV_ENCRYPTION_KEY } from '@sluice/config/env';
import { type AwsEmulators, startAwsEmulators } from '@sluice/testing/aws-emulators';
import { sampleEvent, startTestStack, type TestStack, waitFor } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * What tenants read about failures (a delivery's lastError and attempt log, the test endpoint's
 * answer) never names Sluice's internal network, the endpoints its AWS overrides point at, nor
 * the fingerprints of its encryption keys, whatever failed: STS, the service, the key ring.
 */

/** A loopback port where nothing listens: every call to it fails with ECONNREFUSED <address>. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let emulators: AwsEmulators;
let stack: TestStack;
let auth: { authorization: string };
let port: number;

beforeAll(async () => {
  emulators = await startAwsEmulators();
  port = await closedPort();
  const unreachable = `http://127.0.0.1:${port}`;
  stack = await startTestStack({
    workers: true,
    awsEnv: { ...emulators.env, AWS_ENDPOINT_URL_STS: unreachable, AWS_ENDPOINT_URL_SQS: unreachable },
  });
  auth = (await stack.createKey((await stack.createTenant('Visible')).id, ['admin'])).auth;
});
afterAll(async () => {
  await stack?.close();
  await emulators?.stop();
});

const internals = () => [
  '127.0.0.1',
  `:${port}`,
  'localhost',
  keyIdOf(Buffer.from(DEV_ENCRYPTION_KEY, 'base64')),
  'deadbeef',
];
const expectNoInternals = (text: string, where: string) => {
  for (const secret of internals()) expect(text, `${where} names ${secret}`).not.toContain(secret);
};

async function destination(customer: string, auth_: Record<string, unknown>) {
  const response = await stack.app.inject({
    method: 'POST',
    url: '/v1/destinations',
    headers: auth,
    payload: {
      name: customer,
      customerExternalId: customer,
      type: 'sqs',
      config: { queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/orders' },
      auth: auth_,
    },
  });
  expect(response.statusCode, response.body).toBe(201);
  expectNoInternals(response.body, 'the create answer');
  return response.json().id as string;
}

async function failedDelivery(customer: string, destinationId: string) {
  await stack.app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: auth,
    payload: sampleEvent({ customerExternalId: customer }),
  });
  return waitFor(async () => {
    const [delivery] = (
      await stack.app.inject({ method: 'GET', url: `/v1/deliveries?destinationId=${destinationId}`, headers: auth })
    ).json().data as { id: string; lastError: unknown }[];
    if (!delivery?.lastError) return undefined;
    return (await stack.app.inject({ method: 'GET', url: `/v1/deliveries/${delivery.id}`, headers: auth })).body;
  }, 15_000);
}

describe('failures tenants read', () => {
  it('do not name the address of an unreachable STS', async () => {
    const id = await destination('sts-down', { mode: 'assume_role', roleArn: 'arn:aws:iam::123456789012:role/Writer' });
    const tested = await stack.app.inject({ method: 'POST', url: `/v1/destinations/${id}/test`, headers: auth });
    expect(tested.json().ok).toBe(false);
    expectNoInternals(tested.body, 'the test answer');
    expectNoInternals(await failedDelivery('sts-down', id), 'the delivery');
  });

  it('do not name the address of an unreachable service endpoint', async () => {
    const id = await destination('sqs-down', {
      mode: 'access_key',
      accessKeyId: 'AKIAVISIBLE000000001',
      secretAccessKey: 'the-customer-secret-key',
    });
    const tested = await stack.app.inject({ method: 'POST', url: `/v1/destinations/${id}/test`, headers: auth });
    expectNoInternals(tested.body, 'the test answer');
    const delivery = await failedDelivery('sqs-down', id);
    expect(delivery).toContain('ECONNREFUSED');
    expectNoInternals(delivery, 'the delivery');
  });

  it('do not name the encryption keys when a stored secret cannot be opened', async () => {
    const id = await destination('no-key', {
      mode: 'access_key',
      accessKeyId: 'AKIAVISIBLE000000002',
      secretAccessKey: 'another-secret-key',
    });
    await stack.database.pool.query(
      `update destinations set secret_access_key = '{"keyId":"deadbeef","iv":"AAAA","ciphertext":"AAAA","tag":"AAAA"}', updated_at = now()
       where id = $1`,
      [id],
    );
    const tested = await stack.app.inject({ method: 'POST', url: `/v1/destinations/${id}/test`, headers: auth });
    expect(tested.statusCode).toBe(400);
    expectNoInternals(tested.body, 'the test answer');
    const delivery = await failedDelivery('no-key', id);
    expect(delivery).toContain('destination_unusable');
    expectNoInternals(delivery, 'the delivery');
  });
});
