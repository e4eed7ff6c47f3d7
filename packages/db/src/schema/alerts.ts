import type { AlertRule } from '@sluice/contracts/alerts';
import { sql } from 'drizzle-orm';
import { doublePrecision, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { tenants } from './tenants.ts';

/**
 * Alerts destinations raised about themselves. At most one is open per destination and rule (a
 * unique partial index): the worker that inserts it is the one that emits `sluice.alert.opened`,
 * and the one whose update closes it emits `sluice.alert.resolved`, each in the same transaction
 * as its event, so two workers or a restart never emit a state twice.
 */
export const alerts = pgTable(
  'alerts',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    destinationId: uuid('destination_id').notNull(),
    customerExternalId: text('customer_external_id').notNull(),
    rule: text('rule').$type<AlertRule>().notNull(),
    state: text('state').$type<'open' | 'resolved'>().notNull().default('open'),
    // What was measured when it opened, and the threshold it crossed.
    value: doublePrecision('value').notNull(),
    threshold: integer('threshold').notNull(),
    openedAt: timestamp('opened_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    uniqueIndex('alerts_open_key').on(t.destinationId, t.rule).where(sql`${t.state} = 'open'`),
    index('alerts_tenant_open_idx').on(t.tenantId, t.id).where(sql`${t.state} = 'open'`),
  ],
);

export type AlertRow = typeof alerts.$inferSelect;
