import { type AwsEmulators, startAwsEmulators } from '@sluice/testing/aws-emulators';
import { type EmulatorClients, emulatorClients } from '@sluice/testing/aws-test-resources';
import { startTestStack, type TestStack, type TestStackOptions } from '@sluice/testing/stack';
import type { LightMyRequestResponse } from 'fastify';

/**
 * Shared by the destinations*.test.ts files: the real API over the AWS emulators and the fake
 * STS (so the trust policy names a real principal), one tenant with an admin key, and
 * request helpers that keep each test about the contract rather than about inject().
 */

export const CUSTOMER = 'acct_8K2zRq';
export const AWS_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/orders';
export const AWS_FIFO_QUEUE_URL = 'https://sqs.eu-west-2.amazonaws.com/123456789012/pushes.fifo';
export const AWS_TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:orders';
export const AWS_STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/orders';
export const ROLE_ARN = 'arn:aws:iam::123456789012:role/SluiceWriter';

export type Json = Record<string, unknown>;

/** A destination as the API answers it; the fields the tests read are typed. */
export interface DestinationAnswer extends Json {
  id: string;
  config: Json;
  auth: Json;
  eventTypes: string[] | null;
  createdAt: string;
  updatedAt: string;
}
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface DestinationsHarness {
  emulators: AwsEmulators;
  aws: EmulatorClients;
  stack: TestStack;
  tenantId: string;
  auth: { authorization: string };
  call(
    method: Method,
    url: string,
    payload?: Json,
    headers?: { authorization: string },
  ): Promise<LightMyRequestResponse>;
  /** POST /v1/destinations that must answer 201; the created destination. */
  create(overrides?: Json): Promise<DestinationAnswer>;
  close(): Promise<void>;
}

/** A valid SQS destination input; override any top-level field. */
export function destinationInput(overrides: Json = {}): Json {
  return {
    name: 'Customer SQS queue',
    customerExternalId: CUSTOMER,
    type: 'sqs',
    config: { queueUrl: AWS_QUEUE_URL },
    auth: { mode: 'assume_role', roleArn: ROLE_ARN },
    eventTypes: ['order.*', 'invoice.paid'],
    ...overrides,
  };
}

/**
 * `awsEnv` replaces the emulators' variables (to test which endpoint overrides are set);
 * by default every service points at the emulators.
 */
export async function startDestinationsHarness(
  options: Omit<TestStackOptions, 'awsEnv'> & { awsEnv?: (emulators: AwsEmulators) => Record<string, string> } = {},
): Promise<DestinationsHarness> {
  const emulators = await startAwsEmulators();
  const { awsEnv, ...stackOptions } = options;
  const stack = await startTestStack({ ...stackOptions, awsEnv: awsEnv ? awsEnv(emulators) : emulators.env });
  const tenantId = (await stack.createTenant()).id;
  const { auth } = await stack.createKey(tenantId, ['admin']);
  const aws = emulatorClients(emulators);

  const call: DestinationsHarness['call'] = (method, url, payload, headers = auth) =>
    stack.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });

  return {
    emulators,
    aws,
    stack,
    tenantId,
    auth,
    call,
    async create(overrides = {}) {
      const response = await call('POST', '/v1/destinations', destinationInput(overrides));
      if (response.statusCode !== 201) throw new Error(`create: ${response.statusCode} ${response.body}`);
      return response.json();
    },
    async close() {
      await stack.close();
      aws.destroy();
      await emulators.stop();
    },
  };
}

/** The `errors[].path` values of a problem answer. */
export const errorPaths = (response: LightMyRequestResponse): string[] =>
  (response.json().errors ?? []).map((error: { path: string }) => error.path);
