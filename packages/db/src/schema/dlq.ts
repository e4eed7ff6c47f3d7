import type { DlqReason } from '@sluice/contracts/dlq';
import { sql } from 'drizzle-orm';
import {
  boolean,
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
import { deliveries, type LastError } from './deliveries.ts';
import { tenants } from './tenants.ts';

export type { DlqReason };
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
    // The dead delivery holds its FIFO group (fifo.onDeadLetter "hold"): the group waits for it.
    holdsGroup: boolean('holds_group').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('dlq_entries_delivery_key').on(t.deliveryId),
    index('dlq_entries_tenant_open_idx').on(t.tenantId, t.id).where(sql`${t.state} = 'open'`),
    index('dlq_entries_open_idx').on(t.id).where(sql`${t.state} = 'open'`),
    // Open entries per destination: the stats' and alerts' dlqOpen.
    index('dlq_entries_destination_open_idx').on(t.destinationId).where(sql`${t.state} = 'open'`),
  ],
);

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
    // Retention deletes an entry's items with it (and the foreign key's check looks them up).
    index('dlq_replay_items_entry_idx').on(t.entryId),
  ],
);

/** Who replayed or discarded what, and when: every such action leaves a row. */
export const dlqAudit = pgTable(
  'dlq_audit',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id'),
    actorKind: text('actor_kind').$type<'operator' | 'api_key' | 'portal_token'>().notNull(),
    actorKeyId: uuid('actor_key_id'),
    action: text('action').$type<'replay' | 'discard' | 'bulk_replay'>().notNull(),
    entryId: uuid('entry_id'),
    replayId: uuid('replay_id'),
    filter: jsonb('filter').$type<Record<string, unknown>>(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  // dlq_audit_at_idx: AUDIT_RETENTION_DAYS finds the oldest rows across tenants.
  (t) => [index('dlq_audit_tenant_idx').on(t.tenantId, t.at), index('dlq_audit_at_idx').on(t.at)],
);

export type DlqEntryRow = typeof dlqEntries.$inferSelect;
export type DlqReplayRow = typeof dlqReplays.$inferSelect;
