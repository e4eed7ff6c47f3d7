import type { AwsClientCache } from '@sluice/aws/clients';
import type { DestinationCredentials } from '@sluice/aws/credentials';
import type { DeliverableEvent } from '@sluice/contracts/events';
import type { z } from 'zod';
import type { ErrorCategory } from './error-classification.ts';
import type { FailureTarget } from './failure-messages.ts';

export type { DeliverableEvent } from '@sluice/contracts/events';

export type DestinationType = 'sqs' | 'sns' | 'kinesis' | 'eventbridge';

/** The AWS services whose endpoint overrides (AWS_ENDPOINT_URL_<SERVICE>) destinations use. */
export type DestinationService = 'sqs' | 'sns' | 'kinesis' | 'eventbridge';

export interface OutgoingMessage {
  deliveryId: string;
  event: DeliverableEvent;
}

/** A message ready to encode: its body is the event JSON, or the JSON of the transform's result. */
export interface PreparedMessage extends OutgoingMessage {
  body: string;
}

/** What a provider entry carries besides its body, in words a person reads (the preview). */
export interface EntryPreview {
  attributes: Record<string, string>;
  messageGroupId?: string;
  messageDeduplicationId?: string;
  partitionKey?: string;
}

export type FailureKind = 'transient' | 'permanent';

export interface DeliveryFailure {
  /** What went wrong, decided once by the classification; everything else reads this. */
  category: ErrorCategory;
  kind: FailureKind;
  /** The provider's error code (e.g. `AccessDenied`, `RequestThrottled`) or one of Sluice's (`payload_too_large`). */
  code: string;
  /** Actionable and free of secrets: safe to show the tenant. */
  message: string;
}

export type DeliveryOutcome =
  | { deliveryId: string; ok: true; providerMessageId?: string | undefined }
  | { deliveryId: string; ok: false; failure: DeliveryFailure };

export interface BatchLimits {
  /** Entries per API call. */
  maxEntries: number;
  /** Bytes per API call, counted as the provider counts them. */
  maxBatchBytes: number;
  /** The provider's largest message; a destination may accept less (see `probe`). */
  maxMessageBytes: number;
}

export interface EncodedEntry<TEntry> {
  entry: TEntry;
  /** Size as the provider counts it against its limits (body plus attributes, or data plus partition key). */
  bytes: number;
}

/** One entry of a provider's answer to a batch call, before classification. */
export type EntryAnswer =
  | { ok: true; providerMessageId?: string | undefined }
  | { ok: false; code: string; message: string; senderFault?: boolean | undefined };

export interface ConfigContext {
  /** The endpoint override of this destination's service (AWS_ENDPOINT_URL_<SERVICE>); unlocks emulator URLs and ARNs. */
  endpointOverride?: string | undefined;
}

export interface DestinationCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ProbeResult {
  ok: boolean;
  checks: DestinationCheck[];
  /** Why it failed: the provider's error code, or fifo_mismatch / stream_not_active. */
  failureCode?: string;
  /** The largest message the destination accepts, when the probe could read it. */
  maxMessageBytes: number | null;
}

/** What sending needs: the cached AWS clients and the destination's credentials. */
export interface SendContext {
  clients: AwsClientCache;
  credentials: DestinationCredentials;
}

export interface IamPermissions {
  actions: string[];
  resource: string;
}

/** Facts about a configured destination that do not depend on a message. */
export interface DestinationFacts {
  isFifo: boolean;
  region: string;
  /** The ARN (or URL, for SQS) of the destination, for messages and IAM policies. */
  resourceName: string;
  /** The actions the customer's role or key needs on the resource. */
  iamPermissions: IamPermissions;
  /** How failures of a send are worded: the service, the action, the noun and the resource. */
  failureTarget: Omit<FailureTarget, 'principal'>;
  /** The IAM action `probe` needs, for wording its failures. */
  probeAction: string;
}

/**
 * One destination type: its config rules, how a message becomes a provider entry, one
 * provider call, and reading the destination's attributes. Batching, classification and
 * credential handling are the binder's (bound-destination.ts), the same for every type;
 * callers never switch over types (registry.ts).
 */
export interface DestinationAdapter<TType extends DestinationType, TConfig, TEntry> {
  readonly type: TType;
  readonly service: DestinationService;
  readonly limits: BatchLimits;
  /** The provider refuses a body that is not a JSON object (EventBridge's Detail): a transform must yield one. */
  readonly objectBodyOnly?: boolean;
  /** Validates and normalises a config (region filled in, defaults applied); accepts its own output. */
  configSchema(ctx: ConfigContext): z.ZodType<TConfig, unknown>;
  describe(config: TConfig): DestinationFacts;
  /** The FIFO MessageGroupId; null when the destination has no ordering groups. */
  orderingKey(config: TConfig, event: DeliverableEvent): string | null;
  encode(config: TConfig, message: PreparedMessage): EncodedEntry<TEntry>;
  /** The entry's attributes, group and deduplication ids or partition key, for the preview. */
  preview(entry: TEntry): EntryPreview;
  /** One provider call; one answer per entry, in order. Throws when the call fails as a whole. */
  sendCall(ctx: SendContext, config: TConfig, entries: TEntry[]): Promise<EntryAnswer[]>;
  /** Reads the destination's attributes (FIFO-ness, size limit, status). Throws what the provider threw. */
  probe(ctx: SendContext, config: TConfig): Promise<ProbeResult>;
}
