import { sql } from 'drizzle-orm';
import {
  bigint,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { destinations } from './destinations.ts';
import { events } from './events.ts';
import { tenants } from './tenants.ts';

export type DeliveryStatus = 'pending' | 'delivered' | 'dead' | 'discarded';

export interface LastError {
  code: string;
  message: string;
  at: string;
}

/**
 * One event to one destination: its history and state. No index covers a column an attempt
 * changes, so recording an outcome is a HOT update (fillfactor leaves room on the page, see the
 * migration); what is due and who holds it live in the small delivery_queue instead.
 */
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
    // Attempts that do not count against the retry limits: those before the last replay from the
    // dead-letter queue, and throttled ones since (AWS slowing Sluice down is not the message's
    // failure). Attempt numbers keep counting so the log reads as one history.
    retryBase: integer('retry_base').notNull().default(0),
    // Retries stop after this (the destination's maxAgeSeconds from creation or replay).
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    lastError: jsonb('last_error').$type<LastError>(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true, mode: 'date' }),
    providerMessageId: text('provider_message_id'),
    // The successful attempt is not logged as a row of its own: this, delivered_at and the
    // provider message id are its entry in the attempt log.
    lastDurationMs: integer('last_duration_ms'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    // The fan-out is idempotent: one delivery per event and destination (also the event's deliveries).
    uniqueIndex('deliveries_event_destination_key').on(t.eventId, t.destinationId),
    index('deliveries_tenant_id_idx').on(t.tenantId, t.id),
    index('deliveries_destination_id_idx').on(t.destinationId, t.id),
  ],
);

/**
 * Pending deliveries and who holds them: one small row per delivery not yet delivered, dead or
 * discarded, deleted when it is. A standard destination's drain claims rows by due time (a
 * claim moves due_at forward by the lease and stamps its claim id); a FIFO destination's rows
 * are claimed through their group's head (fifo_groups). Its size follows the backlog, never
 * the history.
 */
export const deliveryQueue = pgTable(
  'delivery_queue',
  {
    destinationId: uuid('destination_id').notNull(),
    deliveryId: uuid('delivery_id').notNull(),
    tenantId: uuid('tenant_id').notNull(),
    dueAt: timestamp('due_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    claimId: uuid('claim_id'),
    orderingKey: text('ordering_key'),
    orderSeq: bigint('order_seq', { mode: 'number' }).notNull(),
    // The event's size: a claim stops at a byte budget, not only a row count.
    bytes: integer('bytes').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.destinationId, t.deliveryId] }),
    index('delivery_queue_due_idx').on(t.destinationId, t.dueAt).where(sql`${t.orderingKey} is null`),
    index('delivery_queue_group_idx')
      .on(t.destinationId, t.orderingKey, t.orderSeq)
      .where(sql`${t.orderingKey} is not null`),
  ],
);

/**
 * One row per (FIFO destination, group) with work outstanding: the group's due time, and the
 * claim that holds its head. A claim takes due groups (FOR UPDATE SKIP LOCKED) and reads each
 * one's head, so it costs what it claims; a group whose head is in backoff costs nothing until
 * it is due. tail_seq is the highest turn enqueued and done_seq the last one finished: a group
 * is removed only when they meet, so a turn enqueued concurrently is never orphaned.
 *
 * A group held behind its dead head (the destination's fifo.onDeadLetter is "hold") has held_at
 * set and due_at 'infinity': no claim, poller or expiry pass ever finds it due, so a hold costs
 * the claim path nothing. Which dead deliveries hold it is on their dead-letter entries
 * (dlq_entries.holds_group); replaying or discarding the last of them lets the group go on.
 */
export const fifoGroups = pgTable(
  'fifo_groups',
  {
    destinationId: uuid('destination_id').notNull(),
    orderingKey: text('ordering_key').notNull(),
    tenantId: uuid('tenant_id').notNull(),
    dueAt: timestamp('due_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    claimId: uuid('claim_id'),
    tailSeq: bigint('tail_seq', { mode: 'number' }).notNull(),
    doneSeq: bigint('done_seq', { mode: 'number' }).notNull().default(0),
    heldAt: timestamp('held_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    primaryKey({ columns: [t.destinationId, t.orderingKey] }),
    index('fifo_groups_due_idx').on(t.destinationId, t.dueAt),
    // Held groups are few: the metrics gauge and the stats count them through this.
    index('fifo_groups_held_idx').on(t.destinationId).where(sql`${t.heldAt} is not null`),
  ],
);

/** Failed attempts (a successful one is recorded on its delivery). */
export const deliveryAttempts = pgTable(
  'delivery_attempts',
  {
    deliveryId: uuid('delivery_id')
      .notNull()
      .references(() => deliveries.id),
    n: integer('n').notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    durationMs: integer('duration_ms').notNull(),
    outcome: text('outcome').$type<'transient_error' | 'permanent_error'>().notNull(),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
  },
  (t) => [primaryKey({ columns: [t.deliveryId, t.n] })],
);

export type DeliveryRow = typeof deliveries.$inferSelect;
export type DeliveryAttemptRow = typeof deliveryAttempts.$inferSelect;
