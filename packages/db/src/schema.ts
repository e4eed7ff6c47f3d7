import type { EventMetadata } from '@sluice/contracts/events';
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgSequence,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

/**
 * Ids are UUIDv7 made by the application: they sort by creation time, so "newest first"
 * lists and their cursors are a plain index range on the primary key.
 */

export const tenants = pgTable('tenants', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    name: text('name').notNull(),
    // SHA-256 of the key: the key has 256 bits of entropy, so a fast hash is enough.
    keyHash: text('key_hash').notNull(),
    scopes: text('scopes').array().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    uniqueIndex('api_keys_key_hash_key').on(t.keyHash),
    index('api_keys_tenant_idx').on(t.tenantId),
    // Every API process asks twice a second for keys revoked lately (it forgets them at once).
    index('api_keys_revoked_idx').on(t.revokedAt).where(sql`${t.revokedAt} is not null`),
  ],
);

/** A tenant's own limits, set by an operator; a null column means the environment's default. */
export const tenantLimits = pgTable(
  'tenant_limits',
  {
    tenantId: uuid('tenant_id')
      .primaryKey()
      .references(() => tenants.id),
    ingestPerSecond: integer('ingest_per_second'),
    ingestBurst: integer('ingest_burst'),
    maxDestinations: integer('max_destinations'),
    maxDestinationsPerCustomer: integer('max_destinations_per_customer'),
    destinationTestsPerMinute: integer('destination_tests_per_minute'),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('tenant_limits_updated_idx').on(t.updatedAt)],
);

/**
 * The order in which events were accepted, and the turn of each delivery within its FIFO
 * group. A delivery starts with its event's number; a replay draws a new one, so a
 * replayed message queues behind what its group already has pending.
 */
export const acceptOrder = pgSequence('accept_order');

export const events = pgTable(
  'events',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    seq: bigint('seq', { mode: 'number' }).notNull().default(sql`nextval('accept_order')`),
    idempotencyKey: text('idempotency_key').notNull(),
    // SHA-256 of the canonical JSON of the request body: tells a retry from a reused key.
    requestHash: text('request_hash').notNull(),
    eventType: text('event_type').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true, mode: 'date' }).notNull(),
    source: text('source').notNull(),
    customerExternalId: text('customer_external_id').notNull(),
    correlationId: text('correlation_id'),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    metadata: jsonb('metadata').$type<EventMetadata>(),
    receivedAt: timestamp('received_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    // Outbox state: null until the fan-out has created this event's deliveries. The sweeper
    // re-enqueues events left null (a crash between commit and enqueue, a flushed Redis).
    fannedOutAt: timestamp('fanned_out_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    uniqueIndex('events_tenant_idempotency_key').on(t.tenantId, t.idempotencyKey),
    index('events_tenant_id_idx').on(t.tenantId, t.id),
    index('events_tenant_customer_idx').on(t.tenantId, t.customerExternalId, t.id),
    index('events_pending_fan_out_idx').on(t.receivedAt).where(sql`${t.fannedOutAt} is null`),
    // The FIFO claim's watermark: the customer's oldest event not fanned out yet. Without it the
    // claim reads every event the customer ever sent (15 ms at 25,000 events, growing without end).
    index('events_customer_pending_fan_out_idx')
      .on(t.tenantId, t.customerExternalId, t.seq)
      .where(sql`${t.fannedOutAt} is null`),
  ],
);

/** An AES-256-GCM ciphertext with the id of the key that sealed it (so keys can rotate). */
export interface SealedSecretColumn {
  keyId: string;
  iv: string;
  ciphertext: string;
  tag: string;
}

export const destinations = pgTable(
  'destinations',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    customerExternalId: text('customer_external_id').notNull(),
    name: text('name').notNull(),
    type: text('type', { enum: ['sqs', 'sns', 'kinesis'] }).notNull(),
    // The adapter's normalised config (region filled in); validated by the adapter's schema.
    config: jsonb('config').$type<Record<string, unknown>>().notNull(),
    authMode: text('auth_mode', { enum: ['assume_role', 'access_key'] }).notNull(),
    roleArn: text('role_arn'),
    // Generated by Sluice (confused-deputy protection), unique per destination.
    externalId: text('external_id'),
    accessKeyId: text('access_key_id'),
    secretAccessKey: jsonb('secret_access_key').$type<SealedSecretColumn>(),
    secretHint: text('secret_hint'),
    // null: every event type.
    eventTypes: text('event_types').array(),
    enabled: boolean('enabled').notNull().default(true),
    pausedAt: timestamp('paused_at', { withTimezone: true, mode: 'date' }),
    retryMaxAttempts: integer('retry_max_attempts'),
    retryMaxAgeSeconds: integer('retry_max_age_seconds'),
    // The destination's own MaximumMessageSize, read by the test endpoint; null: the provider's limit.
    maxMessageBytes: integer('max_message_bytes'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    // Soft delete: dead-letter entries keep pointing at a deleted destination, and a replay
    // of one must be able to say why it cannot be delivered.
    deletedAt: timestamp('deleted_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    uniqueIndex('destinations_external_id_key').on(t.externalId),
    index('destinations_tenant_id_idx').on(t.tenantId, t.id),
    index('destinations_fan_out_idx').on(t.tenantId, t.customerExternalId).where(sql`${t.deletedAt} is null`),
  ],
);

export type DeliveryStatus = 'pending' | 'delivered' | 'dead' | 'discarded';

export interface LastError {
  code: string;
  message: string;
  at: string;
}

export const deliveries = pgTable(
  'deliveries',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    eventId: uuid('event_id')
      .notNull()
      .references(() => events.id),
    destinationId: uuid('destination_id')
      .notNull()
      .references(() => destinations.id),
    // FIFO MessageGroupId (null on destinations without groups) and this delivery's turn in it.
    orderingKey: text('ordering_key'),
    orderSeq: bigint('order_seq', { mode: 'number' }).notNull(),
    status: text('status').$type<DeliveryStatus>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    // attempts when last replayed from the dead-letter queue: retry limits count from here,
    // while attempt numbers keep counting so the log reads as one history.
    retryBase: integer('retry_base').notNull().default(0),
    // When the delivery may next be claimed. A claim moves it forward by the lease time, so
    // a claimed delivery is not due while in flight, and comes due again if its worker dies.
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    // Set by each claim: an outcome is recorded only by the claim that still holds the
    // delivery, so a worker whose lease ran out cannot overwrite what a later claim did.
    claimId: uuid('claim_id'),
    // Retries stop after this (the destination's maxAgeSeconds from creation or replay).
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    lastError: jsonb('last_error').$type<LastError>(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true, mode: 'date' }),
    providerMessageId: text('provider_message_id'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    // The fan-out is idempotent: one delivery per event and destination.
    uniqueIndex('deliveries_event_destination_key').on(t.eventId, t.destinationId),
    index('deliveries_due_idx').on(t.destinationId, t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
    index('deliveries_group_head_idx')
      .on(t.destinationId, t.orderingKey, t.orderSeq)
      .where(sql`${t.status} = 'pending'`),
    index('deliveries_pending_due_idx').on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
    index('deliveries_tenant_id_idx').on(t.tenantId, t.id),
    index('deliveries_event_idx').on(t.eventId),
  ],
);

export const deliveryAttempts = pgTable(
  'delivery_attempts',
  {
    id: uuid('id').primaryKey(),
    deliveryId: uuid('delivery_id')
      .notNull()
      .references(() => deliveries.id),
    n: integer('n').notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    durationMs: integer('duration_ms').notNull(),
    outcome: text('outcome').$type<'delivered' | 'transient_error' | 'permanent_error'>().notNull(),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    providerMessageId: text('provider_message_id'),
  },
  (t) => [index('delivery_attempts_delivery_idx').on(t.deliveryId, t.n)],
);

export type DlqReason = 'permanent_error' | 'retries_exhausted' | 'payload_too_large' | 'destination_deleted';
export type DlqState = 'open' | 'replaying' | 'resolved' | 'discarded';

/** One entry per dead delivery; a failed replay reopens the same entry. */
export const dlqEntries = pgTable(
  'dlq_entries',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    deliveryId: uuid('delivery_id')
      .notNull()
      .references(() => deliveries.id),
    eventId: uuid('event_id').notNull(),
    destinationId: uuid('destination_id').notNull(),
    customerExternalId: text('customer_external_id').notNull(),
    eventType: text('event_type').notNull(),
    reason: text('reason').$type<DlqReason>().notNull(),
    lastError: jsonb('last_error').$type<LastError>(),
    attempts: integer('attempts').notNull(),
    state: text('state').$type<DlqState>().notNull().default('open'),
    replayCount: integer('replay_count').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('dlq_entries_delivery_key').on(t.deliveryId),
    index('dlq_entries_tenant_open_idx').on(t.tenantId, t.id).where(sql`${t.state} = 'open'`),
    index('dlq_entries_open_idx').on(t.id).where(sql`${t.state} = 'open'`),
  ],
);

export type DeliveryRow = typeof deliveries.$inferSelect;
export type DeliveryAttemptRow = typeof deliveryAttempts.$inferSelect;
export type DlqEntryRow = typeof dlqEntries.$inferSelect;
export type DestinationRow = typeof destinations.$inferSelect;
export type NewDestinationRow = typeof destinations.$inferInsert;
export type TenantRow = typeof tenants.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type EventRow = typeof events.$inferSelect;
export type NewEventRow = typeof events.$inferInsert;

/** A bulk replay: the entries that matched its filter when it started, replayed in the background. */
export const dlqReplays = pgTable('dlq_replays', {
  id: uuid('id').primaryKey(),
  // null: an operator's replay across tenants.
  tenantId: uuid('tenant_id').references(() => tenants.id),
  filter: jsonb('filter').$type<Record<string, unknown>>().notNull(),
  status: text('status').$type<'running' | 'done'>().notNull().default('running'),
  total: integer('total').notNull(),
  replayed: integer('replayed').notNull().default(0),
  failed: integer('failed').notNull().default(0),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }),
});

export const dlqReplayItems = pgTable(
  'dlq_replay_items',
  {
    replayId: uuid('replay_id')
      .notNull()
      .references(() => dlqReplays.id),
    entryId: uuid('entry_id')
      .notNull()
      .references(() => dlqEntries.id),
    done: boolean('done').notNull().default(false),
  },
  (t) => [
    primaryKey({ columns: [t.replayId, t.entryId] }),
    index('dlq_replay_items_pending_idx').on(t.replayId).where(sql`not ${t.done}`),
  ],
);

/** Who replayed or discarded what, and when: every such action leaves a row. */
export const dlqAudit = pgTable(
  'dlq_audit',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id'),
    actorKind: text('actor_kind').$type<'operator' | 'api_key'>().notNull(),
    actorKeyId: uuid('actor_key_id'),
    action: text('action').$type<'replay' | 'discard' | 'bulk_replay'>().notNull(),
    entryId: uuid('entry_id'),
    replayId: uuid('replay_id'),
    filter: jsonb('filter').$type<Record<string, unknown>>(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('dlq_audit_tenant_idx').on(t.tenantId, t.at)],
);

export type TenantLimitsRow = typeof tenantLimits.$inferSelect;
export type DlqReplayRow = typeof dlqReplays.$inferSelect;
