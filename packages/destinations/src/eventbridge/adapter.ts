import { DescribeEventBusCommand, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { readEventField } from '../event-fields.ts';
import type { DeliverableEvent, DestinationAdapter, EntryAnswer, SendContext } from '../types.ts';
import { type EventBridgeConfig, eventBridgeConfigSchema, eventBusParts } from './config.ts';

const MIB = 1_048_576;
// EventBridge counts a set Time as 14 bytes, whatever its value (see the limits below).
const TIME_BYTES = 14;

const client = (ctx: SendContext, config: EventBridgeConfig) =>
  ctx.clients.eventBridge({ region: config.region, credentials: ctx.credentials });

const detailType = (config: EventBridgeConfig, event: DeliverableEvent) =>
  readEventField(event, config.detailTypeField) ?? event.eventType;

/** One PutEvents entry, with the fields the preview shows. */
type EventBridgeEntry = Required<Pick<PutEventsRequestEntry, 'Source' | 'DetailType' | 'Detail' | 'EventBusName'>> & {
  Time: Date;
};

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

export const eventBridgeAdapter: DestinationAdapter<'eventbridge', EventBridgeConfig, EventBridgeEntry> = {
  type: 'eventbridge',
  service: 'eventbridge',
  // PutEvents takes at most 10 entries per call (API reference, PutEvents: Entries, 1 to 10 items).
  // Since 29 January 2026 an event may be up to 1 MiB (it was 256 KiB), and so may the entries of one
  // call together ("the total entry size must be less than" the limit). EventBridge sizes an entry
  // as 14 bytes for Time, plus the UTF-8 bytes of Source, DetailType, Detail and each of Resources
  // ("Calculating PutEvents event entry size", EventBridge user guide). A call over the limit is
  // refused whole (ValidationException "Total size of the entries in the request is over the
  // limit."), which the binder answers by splitting it.
  limits: { maxEntries: 10, maxBatchBytes: MIB, maxMessageBytes: MIB },
  // Detail must be a JSON object (MalformedDetail otherwise).
  objectBodyOnly: true,
  configSchema: eventBridgeConfigSchema,
  describe: (config) => ({
    isFifo: false,
    region: config.region,
    resourceName: config.eventBusArn,
    iamPermissions: { actions: ['events:PutEvents', 'events:DescribeEventBus'], resource: config.eventBusArn },
    failureTarget: {
      service: 'EventBridge',
      action: 'events:PutEvents',
      noun: 'event bus',
      resource: config.eventBusArn,
      region: config.region,
    },
    probeAction: 'events:DescribeEventBus',
  }),
  orderingKey: () => null,
  encode(config, { event, body }) {
    const entry: EventBridgeEntry = {
      Source: config.source ?? event.source,
      DetailType: detailType(config, event),
      Detail: body,
      EventBusName: config.eventBusArn,
      // The event's own time, so rules, archives and replays on the bus see when it happened.
      Time: new Date(event.occurredAt),
    };
    return { entry, bytes: TIME_BYTES + utf8(entry.Source) + utf8(entry.DetailType) + utf8(entry.Detail) };
  },
  preview: (entry) => ({
    attributes: {
      Source: entry.Source,
      DetailType: entry.DetailType,
      Time: entry.Time.toISOString(),
      EventBusName: entry.EventBusName,
    },
  }),
  async sendCall(ctx, config, entries) {
    const answer = await client(ctx, config).send(new PutEventsCommand({ Entries: entries }));
    // Entries answer in request order, as many as were sent; a failed one has an ErrorCode instead of an EventId.
    const results = answer.Entries ?? [];
    return entries.map((_, position): EntryAnswer => {
      const result = results[position];
      if (!result) return { ok: false, code: 'MissingResult', message: 'EventBridge did not report on this entry.' };
      if (result.ErrorCode) return { ok: false, code: result.ErrorCode, message: result.ErrorMessage ?? '' };
      return { ok: true, providerMessageId: result.EventId };
    });
  },
  async probe(ctx, config) {
    const answer = await client(ctx, config).send(new DescribeEventBusCommand({ Name: config.eventBusArn }));
    const kms = answer.KmsKeyIdentifier
      ? `; encrypted with KMS key ${answer.KmsKeyIdentifier} (its key policy must let EventBridge use it)`
      : '';
    return {
      ok: true,
      maxMessageBytes: MIB,
      checks: [
        {
          name: 'attributes',
          ok: true,
          detail: `event bus ${answer.Name ?? eventBusParts(config).name}; events up to ${MIB} bytes${kms}`,
        },
      ],
    };
  },
};
