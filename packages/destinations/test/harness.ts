import { type AwsClientCache, createAwsClientCache } from '@sluice/aws/clients';
import { type CredentialBroker, createCredentialBroker, type DestinationCredentials } from '@sluice/aws/credentials';
import { type AwsEmulators, EMULATOR_CREDENTIALS, startAwsEmulators } from '@sluice/testing/aws-emulators';
import { type EmulatorClients, emulatorClients } from '@sluice/testing/aws-test-resources';
import { type FaultProxy, startFaultProxy } from '@sluice/testing/fault-proxy';
import type { ConfiguredDestination } from '../src/bound-destination.ts';
import { destinationDefinitions } from '../src/registry.ts';
import { bindTransform, type TransformSpec } from '../src/transform/prepare-messages.ts';
import { createTransformRunner, type TransformRunner } from '../src/transform/transform-runner.ts';
import type { DeliverableEvent, DeliveryOutcome, DestinationType, OutgoingMessage, SendContext } from '../src/types.ts';

/**
 * The AWS edge of the destination tests: emulators behind fault proxies (transparent until a
 * test injects a fault), Sluice's own client cache and credential broker pointed at them, and
 * a role the fake STS lets Sluice assume.
 */

export const ROLE_ARN = 'arn:aws:iam::123456789012:role/SluiceWriter';
export const EXTERNAL_ID = 'ext-3f1c2a9b';
export const TENANT_ID = 'tenant_01J9ZX';

export interface Harness {
  emulators: AwsEmulators;
  direct: EmulatorClients;
  sqsSnsProxy: FaultProxy;
  kinesisProxy: FaultProxy;
  eventBridgeProxy: FaultProxy;
  clients: AwsClientCache;
  broker: CredentialBroker;
  credentials: DestinationCredentials;
  transforms: TransformRunner;
  proxyFor(type: DestinationType): FaultProxy;
  configure(type: DestinationType, config: unknown, transform?: TransformSpec): ConfiguredDestination;
  stop(): Promise<void>;
}

export async function startHarness(options: { requestTimeoutMs?: number } = {}): Promise<Harness> {
  const emulators = await startAwsEmulators();
  const sqsSnsProxy = await startFaultProxy({ target: emulators.sqsSnsEndpoint });
  const kinesisProxy = await startFaultProxy({ target: emulators.kinesisEndpoint });
  const eventBridgeProxy = await startFaultProxy({ target: emulators.eventBridgeEndpoint });
  const clients = createAwsClientCache({
    endpoints: {
      sqs: sqsSnsProxy.endpoint,
      sns: sqsSnsProxy.endpoint,
      kinesis: kinesisProxy.endpoint,
      eventbridge: eventBridgeProxy.endpoint,
    },
    timeouts: { requestTimeoutMs: options.requestTimeoutMs ?? 5_000 },
  });
  const broker = createCredentialBroker({
    region: emulators.region,
    stsEndpoint: emulators.stsEndpoint,
    serviceCredentials: EMULATOR_CREDENTIALS,
  });
  emulators.fakeSts.allowRole(ROLE_ARN, EXTERNAL_ID);
  const credentials = broker.forDestination(
    { mode: 'assume_role', roleArn: ROLE_ARN, externalId: EXTERNAL_ID },
    { tenantId: TENANT_ID },
  );
  const direct = emulatorClients(emulators);
  const transforms = createTransformRunner();
  const proxies: Record<DestinationType, FaultProxy> = {
    sqs: sqsSnsProxy,
    sns: sqsSnsProxy,
    kinesis: kinesisProxy,
    eventbridge: eventBridgeProxy,
  };
  const proxyFor = (type: DestinationType) => proxies[type];

  return {
    emulators,
    direct,
    sqsSnsProxy,
    kinesisProxy,
    eventBridgeProxy,
    clients,
    broker,
    credentials,
    transforms,
    proxyFor,
    configure(type, config, transform) {
      const result = destinationDefinitions[type].configure(
        config,
        { endpointOverride: proxyFor(type).endpoint },
        bindTransform(transform ?? null, transforms),
      );
      if (!result.ok) throw new Error(`invalid ${type} config: ${JSON.stringify(result.errors)}`);
      return result.destination;
    },
    async stop() {
      clients.destroy();
      broker.destroy();
      direct.destroy();
      await transforms.close();
      await Promise.all([sqsSnsProxy.stop(), kinesisProxy.stop(), eventBridgeProxy.stop()]);
      await emulators.stop();
    },
  };
}

let sequence = 0;

/** A unique resource name per test, so tests never read each other's messages. */
export function uniqueName(prefix: string): string {
  sequence += 1;
  return `${prefix}-${process.pid}-${sequence}`;
}

export function makeEvent(overrides: Partial<DeliverableEvent> = {}): DeliverableEvent {
  sequence += 1;
  return {
    id: `evt_${sequence}`,
    eventType: 'order.completed',
    occurredAt: '2026-05-26T14:21:08.493Z',
    source: 'billing-service',
    customerExternalId: 'acct_8K2zRq',
    idempotencyKey: `order-${sequence}-completed`,
    payload: { orderId: `ord_${sequence}`, amount: 12900 },
    receivedAt: '2026-05-26T14:21:09.001Z',
    ...overrides,
  };
}

export function messagesOf(events: DeliverableEvent[]): OutgoingMessage[] {
  return events.map((event, index) => ({ deliveryId: `dlv_${event.id}_${index}`, event }));
}

/** Plans the messages and sends the calls one after another: one outcome per message, in order. */
export async function sendAll(
  destination: ConfiguredDestination,
  ctx: SendContext,
  messages: OutgoingMessage[],
  maxMessageBytes?: number,
): Promise<DeliveryOutcome[]> {
  const plan = destination.plan(await destination.prepare(messages), maxMessageBytes);
  const outcomes = [...plan.rejected];
  for (const call of plan.calls) outcomes.push(...(await call.send(ctx)).outcomes);
  const byId = new Map(outcomes.map((outcome) => [outcome.deliveryId, outcome]));
  return messages.flatMap((message) => byId.get(message.deliveryId) ?? []);
}
