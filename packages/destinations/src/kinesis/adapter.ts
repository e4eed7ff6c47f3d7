import { DescribeStreamSummaryCommand, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { type EntryResult, type PlannedEntry, sendInBatches } from '../batching.ts';
import { attributesUnreadable, classifyEntryFailure, classifyWith } from '../error-classification.ts';
import { describeAwsFailure } from '../failure-messages.ts';
import { eventBody, partitionKey } from '../message-encoding.ts';
import type {
  DeliveryFailure,
  DestinationAdapter,
  EncodedEntry,
  ErrorSubject,
  OutgoingMessage,
  ProbeResult,
  SendContext,
} from '../types.ts';
import { type KinesisConfig, kinesisConfigSchema, streamParts } from './config.ts';

export type KinesisEntry = PutRecordsRequestEntry;

const MIB = 1_048_576;
// PutRecords: 500 records and 5 MiB per call; 1 MiB per record. Partition keys count toward both.
const limits = { maxEntries: 500, maxBatchBytes: 5 * MIB, maxMessageBytes: MIB };

function describe(subject: ErrorSubject<KinesisConfig> | undefined, action = 'kinesis:PutRecords') {
  return describeAwsFailure({
    service: 'Kinesis',
    action,
    noun: 'stream',
    resource: subject?.config.streamArn,
    principal: subject?.principal,
    region: subject?.config.region,
  });
}

function client(ctx: SendContext, config: KinesisConfig) {
  return ctx.clients.kinesis({ region: config.region, credentials: ctx.credentials });
}

/** Both names: AWS takes either or both (the ARN also allows cross-account stream policies); emulators read the name. */
function streamId(config: KinesisConfig) {
  return { StreamARN: config.streamArn, StreamName: streamParts(config).name };
}

function encode(config: KinesisConfig, { event }: OutgoingMessage): EncodedEntry<KinesisEntry> {
  const data = Buffer.from(eventBody(event), 'utf8');
  const key = partitionKey(event, config.partitionKeyField);
  return { entry: { Data: data, PartitionKey: key }, bytes: data.length + Buffer.byteLength(key, 'utf8') };
}

function classifyError(error: unknown, subject?: ErrorSubject<KinesisConfig>): DeliveryFailure {
  return classifyWith(error, describe(subject));
}

async function sendCall(
  ctx: SendContext,
  config: KinesisConfig,
  entries: Array<PlannedEntry<KinesisEntry>>,
  subject: ErrorSubject<KinesisConfig>,
): Promise<EntryResult[]> {
  const answer = await client(ctx, config).send(
    new PutRecordsCommand({ ...streamId(config), Records: entries.map((planned) => planned.encoded.entry) }),
  );
  // Records answer in request order; FailedRecordCount > 0 means some carry an ErrorCode instead.
  const records = answer.Records ?? [];
  return entries.map((_, position): EntryResult => {
    const record = records[position];
    if (!record) {
      return {
        ok: false,
        failure: { kind: 'transient', code: 'MissingResult', message: 'Kinesis did not report on this record.' },
      };
    }
    if (record.ErrorCode) {
      const failure = classifyEntryFailure(
        { code: record.ErrorCode, message: record.ErrorMessage ?? '' },
        describe(subject),
      );
      return { ok: false, failure };
    }
    return { ok: true, providerMessageId: `${record.ShardId ?? 'shard'}:${record.SequenceNumber ?? ''}` };
  });
}

async function probe(ctx: SendContext, config: KinesisConfig): Promise<ProbeResult> {
  try {
    const answer = await client(ctx, config).send(new DescribeStreamSummaryCommand(streamId(config)));
    const summary = answer.StreamDescriptionSummary;
    const status = summary?.StreamStatus ?? 'UNKNOWN';
    // The stream's own record limit when it reports one (streams may now be configured below or above 1 MiB).
    const maxMessageBytes = summary?.MaxRecordSizeInKiB ? Math.min(summary.MaxRecordSizeInKiB * 1024, MIB) : MIB;
    // UPDATING streams (resharding) still accept writes.
    const ok = status === 'ACTIVE' || status === 'UPDATING';
    const shards = summary?.OpenShardCount === undefined ? '' : `, ${summary.OpenShardCount} open shard(s)`;
    const kms = summary?.EncryptionType === 'KMS' ? `; encrypted with KMS key ${summary.KeyId ?? ''}` : '';
    const detail = ok
      ? `stream ${status}${shards}; records up to ${maxMessageBytes} bytes${kms}`
      : `The stream is ${status}; it must be ACTIVE to receive records.`;
    return {
      ok,
      maxMessageBytes,
      checks: [{ name: 'attributes', ok, detail }],
      ...(ok ? {} : { failureCode: 'stream_not_active' }),
    };
  } catch (error) {
    const subject = { config, principal: ctx.credentials.principal };
    return attributesUnreadable(classifyWith(error, describe(subject, 'kinesis:DescribeStreamSummary')));
  }
}

export const kinesisAdapter: DestinationAdapter<'kinesis', KinesisConfig, KinesisEntry> = {
  type: 'kinesis',
  service: 'kinesis',
  limits,
  configSchema: kinesisConfigSchema,
  // Kinesis orders per shard, not per message group: Sluice does not hold messages back for it.
  isFifo: () => false,
  region: (config) => config.region,
  resourceName: (config) => config.streamArn,
  iamPermissions: (config) => ({
    actions: ['kinesis:PutRecords', 'kinesis:DescribeStreamSummary'],
    resource: config.streamArn,
  }),
  orderingKey: () => null,
  encode,
  sendBatch(ctx, { config, messages, maxMessageBytes }) {
    const subject = { config, principal: ctx.credentials.principal };
    return sendInBatches<KinesisEntry>({
      ctx,
      messages,
      limits,
      maxMessageBytes,
      destinationLabel: `the stream ${config.streamArn}`,
      encode: (message) => encode(config, message),
      classify: (error) => classifyError(error, subject),
      sendCall: (entries) => sendCall(ctx, config, entries, subject),
    });
  },
  probe,
  classifyError,
};
