import {
  GetTopicAttributesCommand,
  type MessageAttributeValue,
  PublishBatchCommand,
  type PublishBatchRequestEntry,
} from '@aws-sdk/client-sns';
import { batchEntryId, type EntryResult, type PlannedEntry, resultsByEntryId, sendInBatches } from '../batching.ts';
import { attributesUnreadable, classifyWith } from '../error-classification.ts';
import { describeAwsFailure } from '../failure-messages.ts';
import { deduplicationId, eventAttributes, eventBody, messageBytes, messageGroupId } from '../message-encoding.ts';
import type {
  DeliverableEvent,
  DeliveryFailure,
  DestinationAdapter,
  EncodedEntry,
  ErrorSubject,
  OutgoingMessage,
  ProbeResult,
  SendContext,
} from '../types.ts';
import { type SnsConfig, snsConfigSchema, topicParts } from './config.ts';

/** One PublishBatch entry without its Id: Ids are given per call, by position. */
export type SnsEntry = Omit<PublishBatchRequestEntry, 'Id'>;

// SNS has no per-topic size attribute: 256 KiB for a message and for a whole PublishBatch call.
const SNS_MAX_BYTES = 262_144;
const limits = { maxEntries: 10, maxBatchBytes: SNS_MAX_BYTES, maxMessageBytes: SNS_MAX_BYTES };

function describe(subject: ErrorSubject<SnsConfig> | undefined, action = 'sns:Publish') {
  return describeAwsFailure({
    service: 'SNS',
    action,
    noun: 'topic',
    resource: subject?.config.topicArn,
    principal: subject?.principal,
    region: subject?.config.region,
  });
}

const isFifo = (config: SnsConfig) => topicParts(config).fifo;

function client(ctx: SendContext, config: SnsConfig) {
  return ctx.clients.sns({ region: config.region, credentials: ctx.credentials });
}

function orderingKey(config: SnsConfig, event: DeliverableEvent): string | null {
  return config.messageGroupIdField !== undefined && isFifo(config)
    ? messageGroupId(event, config.messageGroupIdField)
    : null;
}

function encode(config: SnsConfig, { event }: OutgoingMessage): EncodedEntry<SnsEntry> {
  const body = eventBody(event);
  const attributes = eventAttributes(event);
  const messageAttributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of attributes) messageAttributes[name] = { DataType: 'String', StringValue: value };
  const entry: SnsEntry = { Message: body, MessageAttributes: messageAttributes };
  const groupId = orderingKey(config, event);
  if (groupId !== null) {
    entry.MessageGroupId = groupId;
    entry.MessageDeduplicationId = deduplicationId(event);
  }
  return { entry, bytes: messageBytes(body, attributes) };
}

function classifyError(error: unknown, subject?: ErrorSubject<SnsConfig>): DeliveryFailure {
  return classifyWith(error, describe(subject));
}

async function sendCall(
  ctx: SendContext,
  config: SnsConfig,
  entries: Array<PlannedEntry<SnsEntry>>,
  subject: ErrorSubject<SnsConfig>,
): Promise<EntryResult[]> {
  const answer = await client(ctx, config).send(
    new PublishBatchCommand({
      TopicArn: config.topicArn,
      PublishBatchRequestEntries: entries.map((planned, position) => ({
        Id: batchEntryId(position),
        ...planned.encoded.entry,
      })),
    }),
  );
  return resultsByEntryId(entries.length, answer, describe(subject), 'SNS');
}

async function probe(ctx: SendContext, config: SnsConfig): Promise<ProbeResult> {
  const expectFifo = isFifo(config);
  const kind = (fifo: boolean) => (fifo ? 'FIFO' : 'standard');
  try {
    const answer = await client(ctx, config).send(new GetTopicAttributesCommand({ TopicArn: config.topicArn }));
    const attributes = answer.Attributes ?? {};
    const actualFifo = attributes.FifoTopic === 'true';
    if (actualFifo !== expectFifo) {
      const detail = `The topic ARN names a ${kind(expectFifo)} topic but the topic is ${kind(actualFifo)}.`;
      return {
        ok: false,
        maxMessageBytes: SNS_MAX_BYTES,
        checks: [{ name: 'attributes', ok: false, detail }],
        failureCode: 'fifo_mismatch',
      };
    }
    const kms = attributes.KmsMasterKeyId
      ? `; encrypted with KMS key ${attributes.KmsMasterKeyId} (the role also needs kms:GenerateDataKey and kms:Decrypt)`
      : '';
    const detail = `${kind(actualFifo)} topic; messages up to ${SNS_MAX_BYTES} bytes${kms}`;
    return { ok: true, maxMessageBytes: SNS_MAX_BYTES, checks: [{ name: 'attributes', ok: true, detail }] };
  } catch (error) {
    const subject = { config, principal: ctx.credentials.principal };
    return attributesUnreadable(classifyWith(error, describe(subject, 'sns:GetTopicAttributes')));
  }
}

export const snsAdapter: DestinationAdapter<'sns', SnsConfig, SnsEntry> = {
  type: 'sns',
  service: 'sns',
  limits,
  configSchema: snsConfigSchema,
  isFifo,
  region: (config) => config.region,
  resourceName: (config) => config.topicArn,
  iamPermissions: (config) => ({ actions: ['sns:Publish', 'sns:GetTopicAttributes'], resource: config.topicArn }),
  orderingKey,
  encode,
  sendBatch(ctx, { config, messages, maxMessageBytes }) {
    const subject = { config, principal: ctx.credentials.principal };
    return sendInBatches<SnsEntry>({
      ctx,
      messages,
      limits,
      maxMessageBytes,
      destinationLabel: `the topic ${config.topicArn}`,
      encode: (message) => encode(config, message),
      classify: (error) => classifyError(error, subject),
      sendCall: (entries) => sendCall(ctx, config, entries, subject),
    });
  },
  probe,
  classifyError,
};
