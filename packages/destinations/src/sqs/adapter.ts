import {
  GetQueueAttributesCommand,
  type MessageAttributeValue,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
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
import { queueArn, queueParts, type SqsConfig, sqsConfigSchema } from './config.ts';

/** One SendMessageBatch entry without its Id: Ids are given per call, by position. */
export type SqsEntry = Omit<SendMessageBatchRequestEntry, 'Id'>;

const MIB = 1_048_576;

function describe(subject: ErrorSubject<SqsConfig> | undefined, action = 'sqs:SendMessage') {
  return describeAwsFailure({
    service: 'SQS',
    action,
    noun: 'queue',
    resource: subject ? subject.config.queueUrl : undefined,
    principal: subject?.principal,
    region: subject?.config.region,
  });
}

const isFifo = (config: SqsConfig) => queueParts(config).fifo;

function client(ctx: SendContext, config: SqsConfig) {
  return ctx.clients.sqs({ region: config.region, credentials: ctx.credentials });
}

const limits = { maxEntries: 10, maxBatchBytes: MIB, maxMessageBytes: MIB };

function orderingKey(config: SqsConfig, event: DeliverableEvent): string | null {
  return config.messageGroupIdField !== undefined && isFifo(config)
    ? messageGroupId(event, config.messageGroupIdField)
    : null;
}

function encode(config: SqsConfig, { event }: OutgoingMessage): EncodedEntry<SqsEntry> {
  const body = eventBody(event);
  const attributes = eventAttributes(event);
  const messageAttributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of attributes) messageAttributes[name] = { DataType: 'String', StringValue: value };
  const entry: SqsEntry = { MessageBody: body, MessageAttributes: messageAttributes };
  const groupId = orderingKey(config, event);
  if (groupId !== null) {
    entry.MessageGroupId = groupId;
    entry.MessageDeduplicationId = deduplicationId(event);
  }
  return { entry, bytes: messageBytes(body, attributes) };
}

function classifyError(error: unknown, subject?: ErrorSubject<SqsConfig>): DeliveryFailure {
  return classifyWith(error, describe(subject));
}

async function sendCall(
  ctx: SendContext,
  config: SqsConfig,
  entries: Array<PlannedEntry<SqsEntry>>,
  subject: ErrorSubject<SqsConfig>,
): Promise<EntryResult[]> {
  // Positional Ids are always valid batch entry Ids (alphanumeric, at most 80 characters).
  const answer = await client(ctx, config).send(
    new SendMessageBatchCommand({
      QueueUrl: config.queueUrl,
      Entries: entries.map((planned, position) => ({ Id: batchEntryId(position), ...planned.encoded.entry })),
    }),
  );
  return resultsByEntryId(entries.length, answer, describe(subject), 'SQS');
}

async function probe(ctx: SendContext, config: SqsConfig): Promise<ProbeResult> {
  const expectFifo = isFifo(config);
  const kind = (fifo: boolean) => (fifo ? 'FIFO' : 'standard');
  try {
    const answer = await client(ctx, config).send(
      new GetQueueAttributesCommand({
        QueueUrl: config.queueUrl,
        AttributeNames: ['FifoQueue', 'MaximumMessageSize', 'KmsMasterKeyId'],
      }),
    );
    const attributes = answer.Attributes ?? {};
    const actualFifo = attributes.FifoQueue === 'true';
    const maxMessageBytes = Number(attributes.MaximumMessageSize) || null;
    if (actualFifo !== expectFifo) {
      const detail = `The queue URL names a ${kind(expectFifo)} queue but the queue is ${kind(actualFifo)}.`;
      return {
        ok: false,
        maxMessageBytes,
        checks: [{ name: 'attributes', ok: false, detail }],
        failureCode: 'fifo_mismatch',
      };
    }
    const kms = attributes.KmsMasterKeyId
      ? `; encrypted with KMS key ${attributes.KmsMasterKeyId} (the role also needs kms:GenerateDataKey and kms:Decrypt)`
      : '';
    const detail = `${kind(actualFifo)} queue; MaximumMessageSize ${maxMessageBytes ?? 'unknown'} bytes${kms}`;
    return { ok: true, maxMessageBytes, checks: [{ name: 'attributes', ok: true, detail }] };
  } catch (error) {
    const subject = { config, principal: ctx.credentials.principal };
    return attributesUnreadable(classifyWith(error, describe(subject, 'sqs:GetQueueAttributes')));
  }
}

export const sqsAdapter: DestinationAdapter<'sqs', SqsConfig, SqsEntry> = {
  type: 'sqs',
  service: 'sqs',
  // SQS accepts up to 1 MiB per message and per SendMessageBatch call (raised from 256 KiB in 2025).
  limits,
  configSchema: sqsConfigSchema,
  isFifo,
  region: (config) => config.region,
  resourceName: queueArn,
  iamPermissions: (config) => ({ actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes'], resource: queueArn(config) }),
  orderingKey,
  encode,
  sendBatch(ctx, { config, messages, maxMessageBytes }) {
    const subject = { config, principal: ctx.credentials.principal };
    return sendInBatches<SqsEntry>({
      ctx,
      messages,
      limits,
      maxMessageBytes,
      destinationLabel: `the queue ${config.queueUrl}`,
      encode: (message) => encode(config, message),
      classify: (error) => classifyError(error, subject),
      sendCall: (entries) => sendCall(ctx, config, entries, subject),
    });
  },
  probe,
  classifyError,
};
