import type { DrainOptions } from '@sluice/delivery/drain-service';
import { type AwsEmulators, startAwsEmulators } from './aws-emulators.ts';
import {
  createQueue,
  createStream,
  createTopicWithQueue,
  type EmulatorClients,
  emulatorClients,
} from './aws-test-resources.ts';
import { type FaultProxy, startFaultProxy } from './fault-proxy.ts';
import { sampleEvent, startTestStack, type TestStack, type TestStackOptions } from './stack.ts';

/**
 * Everything an end-to-end delivery test needs: the emulators (optionally behind a fault
 * proxy), the real API and workers, one tenant with an admin key, and helpers that create
 * a real queue/topic/stream and register it as a destination the fake STS lets Sluice into.
 */
export interface DeliveryFixture {
  emulators: AwsEmulators;
  aws: EmulatorClients;
  /** In front of SQS and SNS (fauxqs) when `faults` was asked for. */
  proxy: FaultProxy | undefined;
  /** In front of the fake EventBridge when `faults` was asked for. */
  eventBridgeProxy: FaultProxy | undefined;
  stack: TestStack;
  /** The AWS variables the stack uses (through the fault proxy when there is one): for child processes. */
  awsEnv: Record<string, string>;
  tenantId: string;
  auth: { authorization: string };
  sqsDestination(
    name: string,
    extra?: DestinationExtras & { queueAttributes?: Record<string, string> },
  ): Promise<RegisteredDestination & { queueUrl: string }>;
  snsDestination(name: string, extra?: DestinationExtras): Promise<RegisteredDestination & { queueUrl: string }>;
  kinesisDestination(name: string, extra?: DestinationExtras): Promise<RegisteredDestination & { streamName: string }>;
  eventBridgeDestination(
    name: string,
    extra?: DestinationExtras,
  ): Promise<RegisteredDestination & { eventBusArn: string }>;
  /** Posts an event (of FIXTURE_CUSTOMER unless overridden); answers its id. */
  postEvent(overrides?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/**
 * Each destination gets a customer of its own unless one is given, so events posted for
 * one test never fan out to another test's destinations (and never eat its injected faults).
 */
export interface RegisteredDestination {
  id: string;
  customerExternalId: string;
  /** The role the fake STS lets Sluice assume with this ExternalId (revoke it to break the destination). */
  roleArn: string;
  externalId: string;
  /** Posts an event for this destination's customer. */
  post(overrides?: Record<string, unknown>): Promise<string>;
}

export interface DestinationExtras {
  config?: Record<string, unknown>;
  eventTypes?: string[];
  customerExternalId?: string;
  retry?: { maxAttempts?: number; maxAgeSeconds?: number };
  transform?: { language: 'jsonata'; expression: string };
  alerts?: Record<string, number | null>;
  fifo?: { onDeadLetter: 'skip' | 'hold' };
  rateLimit?: { perSecond: number };
}

export const FIXTURE_CUSTOMER = 'acct_8K2zRq';
let counter = 0;
const unique = (name: string) =>
  `${name.replace(/\.fifo$/, '')}-${process.pid}-${++counter}${name.endsWith('.fifo') ? '.fifo' : ''}`;

export interface DeliveryFixtureOptions {
  faults?: boolean;
  drain?: Partial<DrainOptions>;
  /** false: no workers in this process (a test runs them as child processes). */
  workers?: boolean;
  /** More configuration (limits, timeouts), as environment variables. */
  env?: Record<string, string>;
  alerts?: TestStackOptions['alerts'];
}

export async function startDeliveryFixture(options: DeliveryFixtureOptions = {}): Promise<DeliveryFixture> {
  const emulators = await startAwsEmulators();
  const proxy = options.faults ? await startFaultProxy({ target: emulators.sqsSnsEndpoint }) : undefined;
  const eventBridgeProxy = options.faults
    ? await startFaultProxy({ target: emulators.eventBridgeEndpoint })
    : undefined;
  const awsEnv = {
    ...emulators.env,
    ...(proxy ? { AWS_ENDPOINT_URL_SQS: proxy.endpoint, AWS_ENDPOINT_URL_SNS: proxy.endpoint } : {}),
    ...(eventBridgeProxy ? { AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridgeProxy.endpoint } : {}),
  };
  const stack = await startTestStack({
    workers: options.workers ?? true,
    awsEnv,
    drain: options.drain,
    ...(options.env ? { env: options.env } : {}),
    alerts: options.alerts,
  });
  const tenantId = (await stack.createTenant()).id;
  const { auth } = await stack.createKey(tenantId, ['admin']);
  const aws = emulatorClients(emulators);

  async function postEvent(overrides: Record<string, unknown> = {}): Promise<string> {
    const response = await stack.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: auth,
      payload: sampleEvent({ customerExternalId: FIXTURE_CUSTOMER, ...overrides }),
    });
    if (response.statusCode !== 202) throw new Error(`postEvent: ${response.statusCode} ${response.body}`);
    return response.json().id;
  }

  async function register(
    type: string,
    config: Record<string, unknown>,
    extra: DestinationExtras,
  ): Promise<RegisteredDestination> {
    const roleArn = `arn:aws:iam::000000000000:role/sluice-${++counter}`;
    const customerExternalId = extra.customerExternalId ?? `customer-${process.pid}-${counter}`;
    const response = await stack.app.inject({
      method: 'POST',
      url: '/v1/destinations',
      headers: auth,
      payload: {
        name: `${type} destination`,
        customerExternalId,
        type,
        config: { ...config, ...extra.config },
        auth: { mode: 'assume_role', roleArn },
        ...(extra.eventTypes ? { eventTypes: extra.eventTypes } : {}),
        ...(extra.retry ? { retry: extra.retry } : {}),
        ...(extra.transform ? { transform: extra.transform } : {}),
        ...(extra.alerts ? { alerts: extra.alerts } : {}),
        ...(extra.fifo ? { fifo: extra.fifo } : {}),
        ...(extra.rateLimit ? { rateLimit: extra.rateLimit } : {}),
      },
    });
    if (response.statusCode !== 201) throw new Error(`register ${type}: ${response.statusCode} ${response.body}`);
    const destination = response.json();
    emulators.fakeSts.allowRole(roleArn, destination.auth.externalId);
    return {
      id: destination.id,
      customerExternalId,
      roleArn,
      externalId: destination.auth.externalId,
      post: (overrides = {}) => postEvent({ customerExternalId, ...overrides }),
    };
  }

  return {
    emulators,
    aws,
    proxy,
    eventBridgeProxy,
    stack,
    awsEnv,
    tenantId,
    auth,
    async sqsDestination(name, extra = {}) {
      const queueUrl = await createQueue(aws.sqs, unique(name), extra.queueAttributes);
      return { ...(await register('sqs', { queueUrl }, extra)), queueUrl };
    },
    async snsDestination(name, extra = {}) {
      const { topicArn, queueUrl } = await createTopicWithQueue(aws, unique(name));
      return { ...(await register('sns', { topicArn }, extra)), queueUrl };
    },
    async kinesisDestination(name, extra = {}) {
      const streamName = unique(name);
      const streamArn = await createStream(aws.kinesis, streamName);
      return { ...(await register('kinesis', { streamArn }, extra)), streamName };
    },
    async eventBridgeDestination(name, extra = {}) {
      const eventBusArn = aws.eventBridge.createBus(unique(name));
      return { ...(await register('eventbridge', { eventBusArn }, extra)), eventBusArn };
    },
    postEvent,
    async close() {
      await stack.close();
      aws.destroy();
      await proxy?.stop();
      await eventBridgeProxy?.stop();
      await emulators.stop();
    },
  };
}
