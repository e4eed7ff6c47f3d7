import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { type AwsEmulators, EMULATOR_CREDENTIALS } from './aws-emulators.ts';
import type { FakeEventBridge } from './fake-eventbridge.ts';

/**
 * Direct clients and small helpers to set up emulator resources and read back what arrived,
 * so tests assert on the queue or stream itself rather than on what Sluice believes it sent.
 */

export interface EmulatorClients {
  sqs: SQSClient;
  sns: SNSClient;
  kinesis: KinesisClient;
  /** The fake EventBridge itself: create buses, read what arrived. */
  eventBridge: FakeEventBridge;
  destroy(): void;
}

export function emulatorClients(emulators: AwsEmulators): EmulatorClients {
  const common = { region: emulators.region, credentials: EMULATOR_CREDENTIALS, maxAttempts: 1 };
  const sqs = new SQSClient({ ...common, endpoint: emulators.sqsSnsEndpoint });
  const sns = new SNSClient({ ...common, endpoint: emulators.sqsSnsEndpoint });
  // The Kinesis client defaults to HTTP/2, which kinesalite does not speak.
  const kinesis = new KinesisClient({
    ...common,
    endpoint: emulators.kinesisEndpoint,
    requestHandler: new NodeHttpHandler(),
  });
  return {
    sqs,
    sns,
    kinesis,
    eventBridge: emulators.fakeEventBridge,
    destroy() {
      sqs.destroy();
      sns.destroy();
      kinesis.destroy();
    },
  };
}

/** Creates a queue (FIFO when the name ends in .fifo) and returns its URL, e.g. http://sqs.us-east-1.localhost:PORT/000000000000/name. */
export async function createQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string> = {},
): Promise<string> {
  const fifo: Record<string, string> = name.endsWith('.fifo') ? { FifoQueue: 'true' } : {};
  const answer = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { ...fifo, ...attributes } }));
  if (!answer.QueueUrl) throw new Error(`CreateQueue ${name} answered no URL`);
  return answer.QueueUrl;
}

export async function queueArnOf(sqs: SQSClient, queueUrl: string): Promise<string> {
  const answer = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const arn = answer.Attributes?.QueueArn;
  if (!arn) throw new Error(`no QueueArn for ${queueUrl}`);
  return arn;
}

/** Creates a topic and returns its ARN, e.g. arn:aws:sns:us-east-1:000000000000:name. */
export async function createTopic(
  sns: SNSClient,
  name: string,
  attributes: Record<string, string> = {},
): Promise<string> {
  const fifo: Record<string, string> = name.endsWith('.fifo') ? { FifoTopic: 'true' } : {};
  const answer = await sns.send(new CreateTopicCommand({ Name: name, Attributes: { ...fifo, ...attributes } }));
  if (!answer.TopicArn) throw new Error(`CreateTopic ${name} answered no ARN`);
  return answer.TopicArn;
}

/**
 * A topic with a queue subscribed by raw delivery, so what was published (body and message
 * attributes, group and dedup ids for FIFO) can be read from the queue as it was sent.
 */
export async function createTopicWithQueue(
  clients: Pick<EmulatorClients, 'sqs' | 'sns'>,
  name: string,
): Promise<{ topicArn: string; queueUrl: string }> {
  const topicArn = await createTopic(clients.sns, name);
  const queueUrl = await createQueue(
    clients.sqs,
    name.endsWith('.fifo') ? `${name.slice(0, -5)}-sub.fifo` : `${name}-sub`,
  );
  await clients.sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: await queueArnOf(clients.sqs, queueUrl),
      Attributes: { RawMessageDelivery: 'true' },
    }),
  );
  return { topicArn, queueUrl };
}

/**
 * Takes every message out of the queue, in the order received, with all attributes. Messages
 * are deleted as they are read: a FIFO queue hands out a group's next message only then.
 */
export async function receiveAll(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const answer = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const received = answer.Messages ?? [];
    if (received.length === 0) return messages;
    messages.push(...received);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: received.map((message, index) => ({ Id: `r${index}`, ReceiptHandle: message.ReceiptHandle })),
      }),
    );
  }
}

/** Creates a stream, waits until it is ACTIVE and returns its ARN, e.g. arn:aws:kinesis:us-east-1:000000000000:stream/name. */
export async function createStream(kinesis: KinesisClient, name: string, shardCount = 1): Promise<string> {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
  for (let attempt = 0; attempt < 100; attempt++) {
    const answer = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    const summary = answer.StreamDescriptionSummary;
    if (summary?.StreamStatus === 'ACTIVE' && summary.StreamARN) return summary.StreamARN;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`stream ${name} did not become ACTIVE`);
}

export interface ReadRecord {
  shardId: string;
  sequenceNumber: string;
  partitionKey: string;
  data: string;
}

/** Every record in every shard of a stream, from the start. */
export async function readStream(kinesis: KinesisClient, streamName: string): Promise<ReadRecord[]> {
  const shards = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  const records: ReadRecord[] = [];
  for (const shard of shards.Shards ?? []) {
    const shardId = shard.ShardId ?? '';
    const start = await kinesis.send(
      new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    let iterator = start.ShardIterator;
    while (iterator) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      for (const record of page.Records ?? []) {
        records.push({
          shardId,
          sequenceNumber: record.SequenceNumber ?? '',
          partitionKey: record.PartitionKey ?? '',
          data: Buffer.from(record.Data ?? new Uint8Array()).toString('utf8'),
        });
      }
      if (!page.Records || page.Records.length === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return records;
}

/**
 * Reads (and deletes) messages until at least `count` arrived, then keeps listening a moment
 * longer so a message that would arrive twice is caught too.
 */
export async function collectMessages(
  sqs: SQSClient,
  queueUrl: string,
  count: number,
  options: { timeoutMs?: number; settleMs?: number } = {},
): Promise<Message[]> {
  const seen: Message[] = [];
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  while (seen.length < count) {
    if (Date.now() > deadline) throw new Error(`collectMessages: ${seen.length} of ${count} messages arrived in time`);
    seen.push(...(await receiveAll(sqs, queueUrl)));
    if (seen.length < count) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await new Promise((resolve) => setTimeout(resolve, options.settleMs ?? 500));
  return [...seen, ...(await receiveAll(sqs, queueUrl))];
}
