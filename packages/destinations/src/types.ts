import type { AwsClientCache } from '@sluice/aws/clients';
import type { DestinationCredentials } from '@sluice/aws/credentials';
import type { EventMetadata } from '@sluice/contracts/events';
import type { z } from 'zod';

export type DestinationType = 'sqs' | 'sns' | 'kinesis';

/** The event exactly as it arrives at a destination (API.md, "What arrives at a destination"). */
export interface DeliverableEvent {
  id: string;
  eventType: string;
  /** ISO 8601. */
  occurredAt: string;
  source: string;
  customerExternalId: string;
  idempotencyKey: string;
  /** Absent (not null) when the event has none. */
  correlationId?: string;
  payload: Record<string, unknown>;
  metadata?: EventMetadata;
  /** ISO 8601. */
  receivedAt: string;
}

export interface OutgoingMessage {
  deliveryId: string;
  event: DeliverableEvent;
}

export type FailureKind = 'transient' | 'permanent';

export interface DeliveryFailure {
  kind: FailureKind;
  /** The provider's error code (e.g. `AccessDenied`, `RequestThrottled`) or one of Sluice's (`payload_too_large`). */
  code: string;
  /** Actionable and free of secrets: safe to show the tenant. */
  message: string;
}

export type DeliveryOutcome =
  | { deliveryId: string; ok: true; providerMessageId?: string }
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

export interface ConfigContext {
  /** The endpoint override of this destination's service (AWS_ENDPOINT_URL_<SERVICE>); unlocks emulator URLs and ARNs. */
  endpointOverride?: string;
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

export interface SendBatchInput<TConfig> {
  config: TConfig;
  messages: OutgoingMessage[];
  /** The destination's own limit when known (from `probe`); the provider's limit otherwise. */
  maxMessageBytes?: number;
}

/** Who and what an error was about, so its message can say what to fix. */
export interface ErrorSubject<TConfig> {
  config: TConfig;
  principal?: string;
}

export interface IamPermissions {
  actions: string[];
  resource: string;
}

/**
 * One destination type. Each adapter owns its config rules, message mapping, limits, error
 * classification and sending; callers never switch over types (see registry.ts).
 */
export interface DestinationAdapter<TType extends DestinationType, TConfig, TEntry> {
  readonly type: TType;
  /** The AWS service whose endpoint override applies (`config.awsEndpoints[service]`). */
  readonly service: 'sqs' | 'sns' | 'kinesis';
  readonly limits: BatchLimits;
  /** Validates and normalises a config (region filled in, defaults applied); accepts its own output. */
  configSchema(ctx: ConfigContext): z.ZodType<TConfig, unknown>;
  isFifo(config: TConfig): boolean;
  region(config: TConfig): string;
  /** The ARN (or URL, for SQS) of the destination, for messages and IAM policies. */
  resourceName(config: TConfig): string;
  /** The actions the customer's role or key needs on the resource. */
  iamPermissions(config: TConfig): IamPermissions;
  /** The FIFO MessageGroupId; null when the destination has no ordering groups. */
  orderingKey(config: TConfig, event: DeliverableEvent): string | null;
  encode(config: TConfig, message: OutgoingMessage): EncodedEntry<TEntry>;
  /** Sends in as few calls as the limits allow; one outcome per message, in order. Never throws. */
  sendBatch(ctx: SendContext, input: SendBatchInput<TConfig>): Promise<DeliveryOutcome[]>;
  /** Reads the destination's attributes (FIFO-ness, size limit, status) for the test endpoint. */
  probe(ctx: SendContext, config: TConfig): Promise<ProbeResult>;
  classifyError(error: unknown, subject?: ErrorSubject<TConfig>): DeliveryFailure;
}
