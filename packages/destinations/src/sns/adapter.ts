import { GetTopicAttributesCommand, PublishBatchCommand } from '@aws-sdk/client-sns';
import { answersByEntryId, batchEntryId } from '../batching.ts';
import { fifoProbeResult } from '../fifo-probe.ts';
import {
  type AttributeMessage,
  attributeMessage,
  attributeMessagePreview,
  messageGroupId,
} from '../message-encoding.ts';
import type { DeliverableEvent, DestinationAdapter, SendContext } from '../types.ts';
import { type SnsConfig, snsConfigSchema, topicParts } from './config.ts';

// 256 KiB for a message and for a whole PublishBatch call, unless the topic's own
// MaximumMessageSize says less (it may also say more, up to 1 MiB: Sluice keeps to 256 KiB).
const SNS_MAX_BYTES = 262_144;

const client = (ctx: SendContext, config: SnsConfig) =>
  ctx.clients.sns({ region: config.region, credentials: ctx.credentials });

function orderingKey(config: SnsConfig, event: DeliverableEvent): string | null {
  return config.messageGroupIdField !== undefined && topicParts(config).fifo
    ? messageGroupId(event, config.messageGroupIdField)
    : null;
}

export const snsAdapter: DestinationAdapter<'sns', SnsConfig, AttributeMessage> = {
  type: 'sns',
  service: 'sns',
  limits: { maxEntries: 10, maxBatchBytes: SNS_MAX_BYTES, maxMessageBytes: SNS_MAX_BYTES },
  configSchema: snsConfigSchema,
  describe: (config) => ({
    isFifo: topicParts(config).fifo,
    region: config.region,
    resourceName: config.topicArn,
    iamPermissions: { actions: ['sns:Publish', 'sns:GetTopicAttributes'], resource: config.topicArn },
    failureTarget: {
      service: 'SNS',
      action: 'sns:Publish',
      noun: 'topic',
      resource: config.topicArn,
      region: config.region,
    },
    probeAction: 'sns:GetTopicAttributes',
  }),
  orderingKey,
  encode(config, prepared) {
    const message = attributeMessage(prepared, orderingKey(config, prepared.event));
    return { entry: message, bytes: message.bytes };
  },
  preview: attributeMessagePreview,
  async sendCall(ctx, config, entries) {
    const answer = await client(ctx, config).send(
      new PublishBatchCommand({
        TopicArn: config.topicArn,
        PublishBatchRequestEntries: entries.map((message, position) => ({
          Id: batchEntryId(position),
          Message: message.body,
          MessageAttributes: message.attributes,
          MessageGroupId: message.groupId,
          MessageDeduplicationId: message.deduplicationId,
        })),
      }),
    );
    return answersByEntryId(entries.length, answer);
  },
  async probe(ctx, config) {
    const answer = await client(ctx, config).send(new GetTopicAttributesCommand({ TopicArn: config.topicArn }));
    const attributes = answer.Attributes ?? {};
    const maxMessageBytes = Math.min(Number(attributes.MaximumMessageSize) || SNS_MAX_BYTES, SNS_MAX_BYTES);
    return fifoProbeResult({
      noun: 'topic',
      locator: 'topic ARN',
      expectFifo: topicParts(config).fifo,
      actualFifo: attributes.FifoTopic === 'true',
      maxMessageBytes,
      kmsKeyId: attributes.KmsMasterKeyId,
      sizeDetail: `messages up to ${maxMessageBytes} bytes`,
    });
  },
};
