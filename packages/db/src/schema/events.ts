import type { EventMetadata } from '@sluice/contracts/events';
import { sql } from 'drizzle-orm';
import {
  bigint,
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
import { tenants } from './tenants.ts';

/**
 * The order in which events were accepted, and the turn of each delivery within its FIFO
 * group. A delivery starts with its event's number; a replay draws a new one.
 */
export const acceptOrder = pgSequence('accept_order');

/** Every accepted event: the history clients read and replays resend. Written once, never updated. */
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
    // Bytes of the payload and metadata JSON: bounds what one list page or claim loads.
    bytes: integer('bytes').notNull().default(0),
    receivedAt: timestamp('received_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    // W3C traceparent of the request that stored it (only while tracing is on): the fan-out and
    // each send of the event continue that trace, however the work is batched.
    traceContext: text('trace_context'),
  },
  (t) => [
    uniqueIndex('events_tenant_idempotency_key').on(t.tenantId, t.idempotencyKey),
    index('events_tenant_id_idx').on(t.tenantId, t.id),
    index('events_tenant_customer_idx').on(t.tenantId, t.customerExternalId, t.id),
    // Retention finds the oldest events first, across tenants, without reading the rest.
    index('events_received_at_idx').on(t.receivedAt),
  ],
);

/**
 * Events accepted and not yet fanned out: the transactional outbox. The API inserts a row with
 * its event (one statement); the fan-out claims a tenant's rows in accept order, creates the
 * deliveries and deletes the rows in one transaction. A small, short-lived table, so finding
 * outstanding work never reads history, and the events row is never updated.
 */
export const eventOutbox = pgTable(
  'event_outbox',
  {
    tenantId: uuid('tenant_id').notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    eventId: uuid('event_id').notNull(),
    customerExternalId: text('customer_external_id').notNull(),
    bytes: integer('bytes').notNull(),
    acceptedAt: timestamp('accepted_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    // An event whose fan-out failed on its own (a poisoned event) waits, and its neighbours go on.
    attempts: integer('attempts').notNull().default(0),
    notBefore: timestamp('not_before', { withTimezone: true, mode: 'date' }),
    lastError: text('last_error'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.seq] }),
    // The FIFO watermark: a customer's oldest event not fanned out yet holds back later heads.
    index('event_outbox_customer_idx').on(t.tenantId, t.customerExternalId, t.seq),
  ],
);

export type EventRow = typeof events.$inferSelect;
export type NewEventRow = typeof events.$inferInsert;
