import { toFieldErrors } from '@sluice/contracts/field-errors';
import { type KinesisEntry, kinesisAdapter } from './kinesis/adapter.ts';
import type { KinesisConfig } from './kinesis/config.ts';
import { type SnsEntry, snsAdapter } from './sns/adapter.ts';
import type { SnsConfig } from './sns/config.ts';
import { type SqsEntry, sqsAdapter } from './sqs/adapter.ts';
import type { SqsConfig } from './sqs/config.ts';
import type {
  BatchLimits,
  ConfigContext,
  DeliverableEvent,
  DeliveryFailure,
  DeliveryOutcome,
  DestinationAdapter,
  DestinationType,
  IamPermissions,
  OutgoingMessage,
  ProbeResult,
  SendContext,
} from './types.ts';

export interface DestinationConfigs {
  sqs: SqsConfig;
  sns: SnsConfig;
  kinesis: KinesisConfig;
}

interface DestinationEntries {
  sqs: SqsEntry;
  sns: SnsEntry;
  kinesis: KinesisEntry;
}

export type DestinationConfig<T extends DestinationType = DestinationType> = DestinationConfigs[T];

export type AdapterOf<T extends DestinationType> = DestinationAdapter<T, DestinationConfigs[T], DestinationEntries[T]>;

/** Every destination type has exactly one adapter: adding a type without one fails to compile. */
export const destinationAdapters: { readonly [T in DestinationType]: AdapterOf<T> } = {
  sqs: sqsAdapter,
  sns: snsAdapter,
  kinesis: kinesisAdapter,
};

export const destinationTypes: readonly DestinationType[] = Object.keys(destinationAdapters).filter(isDestinationType);

export function isDestinationType(value: string): value is DestinationType {
  return Object.hasOwn(destinationAdapters, value);
}

/**
 * A destination's adapter bound to its validated config, so a caller holding a row of any type
 * (type and config from the database) can send without knowing which type it is.
 */
export interface ConfiguredDestination {
  readonly type: DestinationType;
  /** The normalised config: store this one. */
  readonly config: DestinationConfig;
  readonly isFifo: boolean;
  readonly region: string;
  readonly limits: BatchLimits;
  readonly resourceName: string;
  readonly iamPermissions: IamPermissions;
  orderingKey(event: DeliverableEvent): string | null;
  /** Size as the provider counts it, to refuse a too-large message before it is claimed for a batch. */
  messageBytes(message: OutgoingMessage): number;
  sendBatch(ctx: SendContext, messages: OutgoingMessage[], maxMessageBytes?: number): Promise<DeliveryOutcome[]>;
  probe(ctx: SendContext): Promise<ProbeResult>;
  classifyError(error: unknown, principal?: string): DeliveryFailure;
}

export type ConfigureResult =
  | { ok: true; destination: ConfiguredDestination }
  | { ok: false; errors: Array<{ path: string; message: string }> };

function bind<T extends DestinationType>(adapter: AdapterOf<T>, config: DestinationConfigs[T]): ConfiguredDestination {
  return {
    type: adapter.type,
    config,
    isFifo: adapter.isFifo(config),
    region: adapter.region(config),
    limits: adapter.limits,
    resourceName: adapter.resourceName(config),
    iamPermissions: adapter.iamPermissions(config),
    orderingKey: (event) => adapter.orderingKey(config, event),
    messageBytes: (message) => adapter.encode(config, message).bytes,
    sendBatch: (ctx, messages, maxMessageBytes) => adapter.sendBatch(ctx, { config, messages, maxMessageBytes }),
    probe: (ctx) => adapter.probe(ctx, config),
    classifyError: (error, principal) => adapter.classifyError(error, { config, principal }),
  };
}

/**
 * Validates a raw config for a type and binds it. `ctx.endpointOverride` is the override of the
 * type's service (`config.awsEndpoints[destinationAdapters[type].service]`).
 */
export function configureDestination<T extends DestinationType>(
  type: T,
  rawConfig: unknown,
  ctx: ConfigContext,
): ConfigureResult {
  const adapter: AdapterOf<T> = destinationAdapters[type];
  const parsed = adapter.configSchema(ctx).safeParse(rawConfig);
  if (!parsed.success) {
    return {
      ok: false,
      // One entry per problem, an unknown field named by its own path (config.<field>).
      errors: toFieldErrors(parsed.error.issues),
    };
  }
  return { ok: true, destination: bind(adapter, parsed.data) };
}

/** The endpoint override that applies to a destination type, from Config.awsEndpoints. */
export function endpointOverrideFor(
  type: DestinationType,
  endpoints: { sqs?: string; sns?: string; kinesis?: string },
): ConfigContext {
  const endpointOverride = endpoints[destinationAdapters[type].service];
  return endpointOverride ? { endpointOverride } : {};
}
