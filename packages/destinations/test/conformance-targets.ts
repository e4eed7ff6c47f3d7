import type { Message } from '@aws-sdk/client-sqs';
import {
  createQueue,
  createStream,
  createTopicWithQueue,
  type EmulatorClients,
  readStream,
  receiveAll,
} from '@sluice/testing/aws-test-resources';
import type { DestinationType } from '../src/types.ts';

/**
 * The destinations the conformance suite runs against, each able to create a fresh resource and
 * read back what arrived in it, in one shape for all types.
 */

export interface ArrivedMessage {
  body: string;
  /** String message attributes (SQS and SNS). */
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
  batchAction: 'SendMessageBatch' | 'PublishBatch' | 'PutRecords';
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

function sqsTarget(fifo: boolean): ConformanceTarget {
  const suffix = fifo ? '.fifo' : '';
  return {
    name: fifo ? 'sqs fifo' : 'sqs standard',
    type: 'sqs',
    fifo,
    batchAction: 'SendMessageBatch',
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

export const conformanceTargets: ConformanceTarget[] = [
  sqsTarget(false),
  sqsTarget(true),
  snsTarget(false),
  snsTarget(true),
  kinesisTarget,
];
