import { DescribeStreamSummaryCommand, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { partitionKey } from '../message-encoding.ts';
import type { DestinationAdapter, EntryAnswer, SendContext } from '../types.ts';
import { type KinesisConfig, kinesisConfigSchema, streamParts } from './config.ts';

const MIB = 1_048_576;

const client = (ctx: SendContext, config: KinesisConfig) =>
  ctx.clients.kinesis({ region: config.region, credentials: ctx.credentials });

/** Both names: AWS takes either or both (the ARN also allows cross-account stream policies); emulators read the name. */
const streamId = (config: KinesisConfig) => ({ StreamARN: config.streamArn, StreamName: streamParts(config).name });

export const kinesisAdapter: DestinationAdapter<'kinesis', KinesisConfig, PutRecordsRequestEntry> = {
  type: 'kinesis',
  service: 'kinesis',
  // PutRecords: 500 records and 5 MiB per call; 1 MiB per record. Partition keys count toward both.
  limits: { maxEntries: 500, maxBatchBytes: 5 * MIB, maxMessageBytes: MIB },
  configSchema: kinesisConfigSchema,
  describe: (config) => ({
    // Kinesis orders per shard, not per message group: Sluice does not hold messages back for it.
    isFifo: false,
    region: config.region,
    resourceName: config.streamArn,
    iamPermissions: { actions: ['kinesis:PutRecords', 'kinesis:DescribeStreamSummary'], resource: config.streamArn },
    failureTarget: {
      service: 'Kinesis',
      action: 'kinesis:PutRecords',
      noun: 'stream',
      resource: config.streamArn,
      region: config.region,
    },
    probeAction: 'kinesis:DescribeStreamSummary',
  }),
  orderingKey: () => null,
  encode(config, { event, body }) {
    const data = Buffer.from(body, 'utf8');
    const key = partitionKey(event, config.partitionKeyField);
    return { entry: { Data: data, PartitionKey: key }, bytes: data.length + Buffer.byteLength(key, 'utf8') };
  },
  preview: (entry) => ({ attributes: {}, partitionKey: entry.PartitionKey ?? '' }),
  async sendCall(ctx, config, entries) {
    const answer = await client(ctx, config).send(new PutRecordsCommand({ ...streamId(config), Records: entries }));
    // Records answer in request order; FailedRecordCount > 0 means some carry an ErrorCode instead.
    const records = answer.Records ?? [];
    return entries.map((_, position): EntryAnswer => {
      const record = records[position];
      if (!record) return { ok: false, code: 'MissingResult', message: 'Kinesis did not report on this record.' };
      if (record.ErrorCode) return { ok: false, code: record.ErrorCode, message: record.ErrorMessage ?? '' };
      return { ok: true, providerMessageId: `${record.ShardId ?? 'shard'}:${record.SequenceNumber ?? ''}` };
    });
  },
  async probe(ctx, config) {
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
  },
};
