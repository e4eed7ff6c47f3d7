import { index, integer, pgTable, primaryKey, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Upper bounds (ms) of the accept-to-delivery latency histogram in delivery_stats; a last
 * bucket counts everything slower. Changing them changes what stored counts mean: append only.
 */
export const LATENCY_BUCKET_BOUNDS_MS = [
  10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000, 900_000, 3_600_000,
] as const;

/**
 * Delivery outcomes per destination and minute, written with each claim round's outcomes:
 * GET /v1/stats reads these few rows, never the deliveries themselves.
 */
export const deliveryStats = pgTable(
  'delivery_stats',
  {
    tenantId: uuid('tenant_id').notNull(),
    destinationId: uuid('destination_id').notNull(),
    // The start of the minute.
    bucket: timestamp('bucket', { withTimezone: true, mode: 'date' }).notNull(),
    delivered: integer('delivered').notNull().default(0),
    retried: integer('retried').notNull().default(0),
    dead: integer('dead').notNull().default(0),
    // Delivered messages per latency bucket: LATENCY_BUCKET_BOUNDS_MS.length + 1 counts.
    latencyCounts: integer('latency_counts').array().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.destinationId, t.bucket] }),
    index('delivery_stats_tenant_bucket_idx').on(t.tenantId, t.bucket),
  ],
);
