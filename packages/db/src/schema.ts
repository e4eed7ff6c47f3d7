import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

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
  (t) => [uniqueIndex('api_keys_key_hash_key').on(t.keyHash), index('api_keys_tenant_idx').on(t.tenantId)],
);

export const events = pgTable(
  'events',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    idempotencyKey: text('idempotency_key').notNull(),
    // SHA-256 of the canonical JSON of the request body: tells a retry from a reused key.
    requestHash: text('request_hash').notNull(),
    eventType: text('event_type').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true, mode: 'date' }).notNull(),
    source: text('source').notNull(),
    customerExternalId: text('customer_external_id').notNull(),
    correlationId: text('correlation_id'),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    metadata: jsonb('metadata').$type<Record<string, string | number | boolean>>(),
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
  ],
);

export type TenantRow = typeof tenants.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type EventRow = typeof events.$inferSelect;
export type NewEventRow = typeof events.$inferInsert;
