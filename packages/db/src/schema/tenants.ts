import { sql } from 'drizzle-orm';
import { index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * Ids are UUIDv7 made by the application: they sort by creation time, so "newest first"
 * lists and their cursors are a plain index range on the primary key.
 */

export const tenants = pgTable('tenants', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  // Origins allowed to embed this tenant's customer portal (CSP frame-ancestors); empty: none.
  portalFrameAncestors: text('portal_frame_ancestors').array().notNull().default(sql`'{}'::text[]`),
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
    // When a request last authenticated with it, to about a minute (recorded in batches, off the request).
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    uniqueIndex('api_keys_key_hash_key').on(t.keyHash),
    index('api_keys_tenant_idx').on(t.tenantId),
    // Every API process asks a few times a second for keys revoked lately (it forgets them at once).
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

export type TenantRow = typeof tenants.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type TenantLimitsRow = typeof tenantLimits.$inferSelect;
