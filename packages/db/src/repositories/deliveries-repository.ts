import { and, asc, desc, eq, inArray } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import { afterCursor, type PageRequest, toPage } from '../pagination.ts';
import { type DeliveryStatus, deliveries, deliveryAttempts } from '../schema/deliveries.ts';
import { destinations } from '../schema/destinations.ts';

export interface DeliveryFilters {
  destinationId?: string | undefined;
  eventId?: string | undefined;
  status?: DeliveryStatus | undefined;
  /** Only deliveries to this customer's destinations (a portal token's calls). */
  customerExternalId?: string | undefined;
}

/** Reading deliveries and their attempts; every read names the tenant (and a portal token's, its customer). */
/** Where a pending delivery stands: due next at, or held (its FIFO group waits behind a dead message). */
export interface QueuePosition {
  dueAt: Date | null;
  heldAt: Date | null;
}

export function createDeliveriesRepository(ex: Executor) {
  const ofCustomer = (tenantId: string, customerExternalId: string | undefined) =>
    customerExternalId === undefined
      ? undefined
      : inArray(
          deliveries.destinationId,
          ex.db
            .select({ id: destinations.id })
            .from(destinations)
            .where(and(eq(destinations.tenantId, tenantId), eq(destinations.customerExternalId, customerExternalId))),
        );

  return {
    async summariesForEvent(tenantId: string, eventId: string) {
      return ex.db
        .select({ id: deliveries.id, destinationId: deliveries.destinationId, status: deliveries.status })
        .from(deliveries)
        .where(and(eq(deliveries.tenantId, tenantId), eq(deliveries.eventId, eventId)))
        .orderBy(asc(deliveries.id));
    },

    async list(tenantId: string, filters: DeliveryFilters, page: PageRequest) {
      const rows = await ex.db
        .select()
        .from(deliveries)
        .where(
          and(
            eq(deliveries.tenantId, tenantId),
            ofCustomer(tenantId, filters.customerExternalId),
            filters.destinationId ? eq(deliveries.destinationId, filters.destinationId) : undefined,
            filters.eventId ? eq(deliveries.eventId, filters.eventId) : undefined,
            filters.status ? eq(deliveries.status, filters.status) : undefined,
            afterCursor(deliveries.id, page),
          ),
        )
        .orderBy(desc(deliveries.id))
        .limit(page.limit + 1);
      return toPage(rows, page.limit, (row) => row);
    },

    async get(tenantId: string, id: string, customerExternalId?: string) {
      const [row] = await ex.db
        .select()
        .from(deliveries)
        .where(and(eq(deliveries.tenantId, tenantId), eq(deliveries.id, id), ofCustomer(tenantId, customerExternalId)));
      return row;
    },

    /** The failed attempts; the successful one, if any, is recorded on the delivery itself. */
    async failedAttempts(deliveryId: string) {
      return ex.db
        .select()
        .from(deliveryAttempts)
        .where(eq(deliveryAttempts.deliveryId, deliveryId))
        .orderBy(asc(deliveryAttempts.n));
    },

    /**
     * When pending deliveries are due next: a standard one's queue row; a FIFO one waits for
     * its group, whose due time is its head's, or is not due at all while its group is held
     * behind a dead message (heldAt: since when).
     */
    async nextAttemptAt(pending: { id: string; destinationId: string }[]): Promise<Map<string, QueuePosition>> {
      if (pending.length === 0) return new Map();
      const result = await ex.query<{ delivery_id: string; due_at: Date | null; held_at: Date | null }>(
        `select q.delivery_id, case when g.held_at is null then coalesce(g.due_at, q.due_at) end as due_at, g.held_at
         from unnest($1::uuid[], $2::uuid[]) as v(destination_id, id)
         join delivery_queue q on q.destination_id = v.destination_id and q.delivery_id = v.id
         left join fifo_groups g on g.destination_id = q.destination_id and g.ordering_key = q.ordering_key`,
        [pending.map((p) => p.destinationId), pending.map((p) => p.id)],
      );
      return new Map(result.rows.map((row) => [row.delivery_id, { dueAt: row.due_at, heldAt: row.held_at }]));
    },

    /** Gauges for /metrics: deliveries in line and open dead letters, per destination type. */
    async backlogByType(): Promise<{ type: string; pending: number; dead: number }[]> {
      const counts = await ex.query<{ type: string; what: 'pending' | 'dead'; n: string }>(
        `select dst.type, 'pending' as what, count(*) as n from delivery_queue q
         join destinations dst on dst.id = q.destination_id group by dst.type
         union all
         select dst.type, 'dead' as what, count(*) as n from dlq_entries q
         join destinations dst on dst.id = q.destination_id where q.state = 'open' group by dst.type`,
      );
      const byType = new Map<string, { type: string; pending: number; dead: number }>();
      for (const row of counts.rows) {
        const entry = byType.get(row.type) ?? { type: row.type, pending: 0, dead: 0 };
        entry[row.what] = Number(row.n);
        byType.set(row.type, entry);
      }
      return [...byType.values()];
    },
  };
}

export type DeliveriesRepository = ReturnType<typeof createDeliveriesRepository>;
