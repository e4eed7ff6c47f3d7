import type { Message } from '@aws-sdk/client-sqs';
import {
  createQueue,
  createStream,
  createTopicWithQueue,
  type EmulatorClients,
  readStream,
  receiveAll,
} from '@sluice/testing/aws-test-resources';
import type { DeliverableEvent, DestinationType } from '../src/types.ts';

/**
 * The destinations the conformance suite runs against, each able to create a fresh resource and
 * read back what arrived in it, in one shape for all types.
 */

export interface ArrivedMessage {
  body: string;
  /** String message attributes (SQS and SNS); source, detail-type and time (EventBridge). */
  attributes: Record<string, string>;
  groupId?: string;
  deduplicationId?: string;
  partitionKey?: string;
}

export interface ConformanceTarget {
  name: string;
  type: DestinationType;
  fifo: boolean;
  /** The provider action one batch is sent with (what the fault proxy matches). */
  batchAction: 'SendMessageBatch' | 'PublishBatch' | 'PutRecords' | 'PutEvents';
  /** The fault proxy's key of a batch's second entry, and a transient code to fail it with. */
  partialFailure: { key: string; code: string };
  /** What arrives besides the body for this event. */
  expectedAttributes(event: DeliverableEvent): Record<string, string>;
  /** Code a missing resource answers with. */
  missingCodes: string[];
  /** How the provider refuses a call that is too large as a whole (not any one entry). */
  batchTooLarge: { code: string; message?: string };
  create(
    clients: EmulatorClients,
    name: string,
  ): Promise<{ config: Record<string, unknown>; read(): Promise<ArrivedMessage[]> }>;
  missingConfig(clients: EmulatorClients, name: string): Record<string, unknown>;
}

function fromQueueMessage(message: Message): ArrivedMessage {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    if (value.StringValue !== undefined) attributes[name] = value.StringValue;
  }
  return {
    body: message.Body ?? '',
    attributes,
    groupId: message.Attributes?.MessageGroupId,
    deduplicationId: message.Attributes?.MessageDeduplicationId,
  };
}

const emulatorQueueUrl = (name: string) => `http://sqs.us-east-1.localhost:1/000000000000/${name}`;

/** SQS and SNS: the String message attributes every message carries. */
function messageAttributes(event: DeliverableEvent): Record<string, string> {
  return {
    eventType: event.eventType,
    eventId: event.id,
    source: event.source,
    customerExternalId: event.customerExternalId,
    ...(event.correlationId ? { correlationId: event.correlationId } : {}),
  };
}

function sqsTarget(fifo: boolean): ConformanceTarget {
  const suffix = fifo ? '.fifo' : '';
  return {
    name: fifo ? 'sqs fifo' : 'sqs standard',
    type: 'sqs',
    fifo,
    batchAction: 'SendMessageBatch',
    partialFailure: { key: 'm1', code: 'InternalError' },
    expectedAttributes: messageAttributes,
    missingCodes: ['QueueDoesNotExist', 'NonExistentQueue'],
    batchTooLarge: { code: 'BatchRequestTooLong' },
    async create(clients, name) {
      const queueUrl = await createQueue(clients.sqs, `${name}${suffix}`);
      return {
        config: { queueUrl },
        read: async () => (await receiveAll(clients.sqs, queueUrl)).map(fromQueueMessage),
      };
    },
    missingConfig: (_, name) => ({ queueUrl: emulatorQueueUrl(`${name}-missing${suffix}`) }),
  };
}

function snsTarget(fifo: boolean): ConformanceTarget {
  const suffix = fifo ? '.fifo' : '';
  return {
    name: fifo ? 'sns fifo' : 'sns standard',
    type: 'sns',
    fifo,
    batchAction: 'PublishBatch',
    partialFailure: { key: 'm1', code: 'InternalError' },
    expectedAttributes: messageAttributes,
    // SNS says NotFound; the SDK names its exception NotFoundException.
    missingCodes: ['NotFound', 'NotFoundException'],
    batchTooLarge: { code: 'BatchRequestTooLong' },
    async create(clients, name) {
      const { topicArn, queueUrl } = await createTopicWithQueue(clients, `${name}${suffix}`);
      return {
        config: { topicArn },
        read: async () => (await receiveAll(clients.sqs, queueUrl)).map(fromQueueMessage),
      };
    },
    missingConfig: (_, name) => ({ topicArn: `arn:aws:sns:us-east-1:000000000000:${name}-missing${suffix}` }),
  };
}

const kinesisTarget: ConformanceTarget = {
  name: 'kinesis',
  type: 'kinesis',
  fifo: false,
  batchAction: 'PutRecords',
  partialFailure: { key: '1', code: 'ProvisionedThroughputExceededException' },
  expectedAttributes: () => ({}),
  missingCodes: ['ResourceNotFoundException'],
  batchTooLarge: { code: 'InvalidArgumentException', message: 'Records size exceeds 5 MB limit' },
  async create(clients, name) {
    // One shard, so the records read back in the order they were put.
    const streamArn = await createStream(clients.kinesis, name, 1);
    return {
      config: { streamArn },
      read: async () =>
        (await readStream(clients.kinesis, name)).map((record) => ({
          body: record.data,
          attributes: {},
          partitionKey: record.partitionKey,
        })),
    };
  },
  missingConfig: (_, name) => ({ streamArn: `arn:aws:kinesis:us-east-1:000000000000:stream/${name}-missing` }),
};

const eventBridgeTarget: ConformanceTarget = {
  name: 'eventbridge',
  type: 'eventbridge',
  fifo: false,
  batchAction: 'PutEvents',
  partialFailure: { key: '1', code: 'ThrottlingException' },
  // Source and DetailType come from the event by default; Time is its occurredAt (to the second).
  expectedAttributes: (event) => ({
    source: event.source,
    'detail-type': event.eventType,
    time: `${event.occurredAt.slice(0, 19)}Z`,
  }),
  missingCodes: ['ResourceNotFoundException'],
  batchTooLarge: {
    code: 'ValidationException',
    message: 'Total size of the entries in the request is over the limit.',
  },
  async create(clients, name) {
    const eventBusArn = clients.eventBridge.createBus(name);
    return {
      config: { eventBusArn },
      read: async () =>
        clients.eventBridge.events(eventBusArn).map((event) => ({
          body: event.rawDetail,
          attributes: { source: event.source, 'detail-type': event['detail-type'], time: event.time },
        })),
    };
  },
  missingConfig: (_, name) => ({ eventBusArn: `arn:aws:events:us-east-1:000000000000:event-bus/${name}-missing` }),
};

export const conformanceTargets: ConformanceTarget[] = [
  sqsTarget(false),
  sqsTarget(true),
  snsTarget(false),
  snsTarget(true),
  kinesisTarget,
  eventBridgeTarget,
];
