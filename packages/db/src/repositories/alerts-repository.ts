import type { StoredAlertRules } from '@sluice/contracts/alerts';
import { and, desc, eq, inArray } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import { afterCursor, type PageRequest, toPage } from '../pagination.ts';
import { type AlertRow, alerts } from '../schema/alerts.ts';
import { destinations } from '../schema/destinations.ts';

/** What the alert evaluator reads of one destination. */
export interface AlertMeasurement {
  destinationId: string;
  tenantId: string;
  customerExternalId: string;
  name: string;
  alertRules: StoredAlertRules;
  enabled: boolean;
  paused: boolean;
  deleted: boolean;
  /** Open dead-letter entries, counted up to DLQ_COUNT_CAP. */
  dlqOpen: number;
  /** Creation of the oldest delivery in line. */
  oldestPendingAt: Date | null;
  health: { state: 'healthy' | 'throttled' | 'failing'; since: Date } | null;
}

/** Beyond this many open dead letters a destination reads as this many: counting further only costs. */
export const DLQ_COUNT_CAP = 100_000;

interface MeasurementRow {
  id: string;
  tenant_id: string;
  customer_external_id: string;
  name: string;
  alert_rules: StoredAlertRules;
  enabled: boolean;
  paused: boolean;
  deleted: boolean;
  dlq_open: number;
  oldest_pending_at: Date | null;
  health_state: 'healthy' | 'throttled' | 'failing' | null;
  health_since: Date | null;
}

export interface AlertFilters {
  destinationId?: string | undefined;
  customerExternalId?: string | undefined;
}

export function createAlertsRepository(ex: Executor) {
  return {
    /**
     * The destinations an alert could be open or due for, measured: those with dead letters open
     * (a skip scan of dlq_entries_destination_open_idx, one probe per destination), with deliveries
     * in line (a skip scan of delivery_queue's key), failing, or with an alert open. Each one's
     * oldest delivery in line is the first row of its queue key (delivery ids sort by creation).
     * Cross-tenant, like the due-work poller: no history is read, only what is outstanding now.
     */
    async measure(limit: number): Promise<AlertMeasurement[]> {
      const result = await ex.query<MeasurementRow>({
        name: 'alerts-measure',
        text: `with recursive dead as (
                 (select destination_id from dlq_entries where state = 'open' order by destination_id limit 1)
                 union all
                 select (select e.destination_id from dlq_entries e
                         where e.state = 'open' and e.destination_id > dead.destination_id
                         order by e.destination_id limit 1)
                 from dead where dead.destination_id is not null
               ),
               lined as (
                 (select destination_id from delivery_queue order by destination_id limit 1)
                 union all
                 select (select q.destination_id from delivery_queue q where q.destination_id > lined.destination_id
                         order by q.destination_id limit 1)
                 from lined where lined.destination_id is not null
               ),
               candidates as (
                 select destination_id from dead where destination_id is not null
                 union select destination_id from lined where destination_id is not null
                 union select destination_id from destination_health where state = 'failing'
                 union select destination_id from alerts where state = 'open'
               )
               select d.id, d.tenant_id, d.customer_external_id, d.name, d.alert_rules, d.enabled,
                      d.paused_at is not null as paused, d.deleted_at is not null as deleted,
                      (select count(*)::int from (
                         select 1 from dlq_entries e where e.destination_id = d.id and e.state = 'open' limit $2
                       ) open_entries) as dlq_open,
                      (select dl.created_at from delivery_queue q join deliveries dl on dl.id = q.delivery_id
                       where q.destination_id = d.id order by q.delivery_id limit 1) as oldest_pending_at,
                      h.state as health_state, h.since as health_since
               from candidates c
               join destinations d on d.id = c.destination_id
               left join destination_health h on h.destination_id = d.id
               limit $1`,
        values: [limit, DLQ_COUNT_CAP],
      });
      return result.rows.map((row) => ({
        destinationId: row.id,
        tenantId: row.tenant_id,
        customerExternalId: row.customer_external_id,
        name: row.name,
        alertRules: row.alert_rules,
        enabled: row.enabled,
        paused: row.paused,
        deleted: row.deleted,
        dlqOpen: row.dlq_open,
        oldestPendingAt: row.oldest_pending_at,
        health: row.health_state && row.health_since ? { state: row.health_state, since: row.health_since } : null,
      }));
    },

    async openFor(destinationIds: string[]): Promise<AlertRow[]> {
      if (destinationIds.length === 0) return [];
      return ex.db
        .select()
        .from(alerts)
        .where(and(eq(alerts.state, 'open'), inArray(alerts.destinationId, destinationIds)));
    },

    /**
     * Opens an alert unless one is open for the destination and rule already (another worker won):
     * answers the new row, or undefined. Call in the transaction that stores its event.
     */
    async insertOpen(
      tx: Executor,
      alert: Pick<
        AlertRow,
        'id' | 'tenantId' | 'destinationId' | 'customerExternalId' | 'rule' | 'value' | 'threshold' | 'openedAt'
      >,
    ): Promise<AlertRow | undefined> {
      const [row] = await tx.db
        .insert(alerts)
        .values(alert)
        .onConflictDoNothing({ target: [alerts.destinationId, alerts.rule], where: eq(alerts.state, 'open') })
        .returning();
      return row;
    },

    /** Closes an open alert: answers it, or undefined when it was closed already (another worker won). */
    async resolve(tx: Executor, alertId: string, at: Date): Promise<AlertRow | undefined> {
      const [row] = await tx.db
        .update(alerts)
        .set({ state: 'resolved', resolvedAt: at })
        .where(and(eq(alerts.id, alertId), eq(alerts.state, 'open')))
        .returning();
      return row;
    },

    /** A tenant's open alerts (a portal token's: its customer's), newest first, with the destination's name. */
    async listOpen(tenantId: string, filters: AlertFilters, page: PageRequest) {
      const rows = await ex.db
        .select({ alert: alerts, destinationName: destinations.name })
        .from(alerts)
        .innerJoin(destinations, eq(destinations.id, alerts.destinationId))
        .where(
          and(
            eq(alerts.tenantId, tenantId),
            eq(alerts.state, 'open'),
            filters.destinationId ? eq(alerts.destinationId, filters.destinationId) : undefined,
            filters.customerExternalId ? eq(alerts.customerExternalId, filters.customerExternalId) : undefined,
            afterCursor(alerts.id, page),
          ),
        )
        .orderBy(desc(alerts.id))
        .limit(page.limit + 1);
      return toPage(
        rows.map((row) => ({ ...row.alert, destinationName: row.destinationName })),
        page.limit,
        (row) => row,
      );
    },
  };
}

export type AlertsRepository = ReturnType<typeof createAlertsRepository>;
