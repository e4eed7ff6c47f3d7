import { GetQueueAttributesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { answersByEntryId, batchEntryId } from '../batching.ts';
import { fifoProbeResult } from '../fifo-probe.ts';
import {
  type AttributeMessage,
  attributeMessage,
  attributeMessagePreview,
  messageGroupId,
} from '../message-encoding.ts';
import type { DeliverableEvent, DestinationAdapter, SendContext } from '../types.ts';
import { queueArn, queueParts, type SqsConfig, sqsConfigSchema } from './config.ts';

const MIB = 1_048_576;

const client = (ctx: SendContext, config: SqsConfig) =>
  ctx.clients.sqs({ region: config.region, credentials: ctx.credentials });

function orderingKey(config: SqsConfig, event: DeliverableEvent): string | null {
  return config.messageGroupIdField !== undefined && queueParts(config).fifo
    ? messageGroupId(event, config.messageGroupIdField)
    : null;
}

export const sqsAdapter: DestinationAdapter<'sqs', SqsConfig, AttributeMessage> = {
  type: 'sqs',
  service: 'sqs',
  // SQS accepts up to 1 MiB per message and per SendMessageBatch call (raised from 256 KiB in 2025).
  limits: { maxEntries: 10, maxBatchBytes: MIB, maxMessageBytes: MIB },
  configSchema: sqsConfigSchema,
  describe: (config) => ({
    isFifo: queueParts(config).fifo,
    region: config.region,
    resourceName: queueArn(config),
    iamPermissions: { actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes'], resource: queueArn(config) },
    failureTarget: {
      service: 'SQS',
      action: 'sqs:SendMessage',
      noun: 'queue',
      resource: config.queueUrl,
      region: config.region,
    },
    probeAction: 'sqs:GetQueueAttributes',
  }),
  orderingKey,
  encode(config, prepared) {
    const message = attributeMessage(prepared, orderingKey(config, prepared.event));
    return { entry: message, bytes: message.bytes };
  },
  preview: attributeMessagePreview,
  async sendCall(ctx, config, entries) {
    // Positional Ids are always valid batch entry Ids (alphanumeric, at most 80 characters).
    const answer = await client(ctx, config).send(
      new SendMessageBatchCommand({
        QueueUrl: config.queueUrl,
        Entries: entries.map((message, position) => ({
          Id: batchEntryId(position),
          MessageBody: message.body,
          MessageAttributes: message.attributes,
          MessageGroupId: message.groupId,
          MessageDeduplicationId: message.deduplicationId,
        })),
      }),
    );
    return answersByEntryId(entries.length, answer);
  },
  async probe(ctx, config) {
    const answer = await client(ctx, config).send(
      new GetQueueAttributesCommand({
        QueueUrl: config.queueUrl,
        AttributeNames: ['FifoQueue', 'MaximumMessageSize', 'KmsMasterKeyId'],
      }),
    );
    const attributes = answer.Attributes ?? {};
    const maxMessageBytes = Number(attributes.MaximumMessageSize) || null;
    return fifoProbeResult({
      noun: 'queue',
      locator: 'queue URL',
      expectFifo: queueParts(config).fifo,
      actualFifo: attributes.FifoQueue === 'true',
      maxMessageBytes,
      kmsKeyId: attributes.KmsMasterKeyId,
      sizeDetail: `MaximumMessageSize ${maxMessageBytes ?? 'unknown'} bytes`,
    });
  },
};
