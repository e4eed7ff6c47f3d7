import { and, asc, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '../client.ts';
import { isId, newId } from '../ids.ts';
import { afterCursor, type PageRequest, toPage } from '../pagination.ts';
import {
  type DeliveryStatus,
  type DestinationRow,
  deliveries,
  deliveryAttempts,
  destinations,
  type EventRow,
  events,
} from '../schema.ts';

export interface PlannedDelivery {
  destinationId: string;
  orderingKey: string | null;
  maxAgeSeconds: number;
}

export interface DeliveryFilters {
  destinationId?: string | undefined;
  eventId?: string | undefined;
  status?: DeliveryStatus | undefined;
}

export function createDeliveriesRepository(db: Database) {
  return {
    /**
     * The fan-out of one event, in one transaction: its deliveries and its outbox mark.
     * The event row is locked, so two fan-outs of one event serialise and the second finds
     * it done; the unique (event, destination) index makes any re-run create nothing twice.
     * Returns undefined when the event was already fanned out (or does not exist).
     */
    async fanOut(
      tenantId: string,
      eventId: string,
      plan: (event: EventRow, candidates: DestinationRow[]) => PlannedDelivery[],
    ): Promise<{ event: EventRow; destinationIds: string[] } | undefined> {
      return db.transaction(async (tx) => {
        const [event] = await tx
          .select()
          .from(events)
          .where(and(eq(events.tenantId, tenantId), eq(events.id, eventId)))
          .for('update');
        if (!event || event.fannedOutAt) return undefined;
        // FOR SHARE: a DELETE of one of these destinations waits for this transaction, then
        // dead-letters the deliveries it made; read outside, they could be left pending forever.
        const candidates = await tx
          .select()
          .from(destinations)
          .where(
            and(
              eq(destinations.tenantId, tenantId),
              eq(destinations.customerExternalId, event.customerExternalId),
              isNull(destinations.deletedAt),
            ),
          )
          .for('share');
        const planned = plan(event, candidates);
        if (planned.length > 0) {
          await tx
            .insert(deliveries)
            .values(
              planned.map((p) => ({
                id: newId(),
                tenantId,
                eventId,
                destinationId: p.destinationId,
                orderingKey: p.orderingKey,
                orderSeq: event.seq,
                expiresAt: new Date(event.receivedAt.getTime() + p.maxAgeSeconds * 1000),
              })),
            )
            .onConflictDoNothing({ target: [deliveries.eventId, deliveries.destinationId] });
        }
        await tx.update(events).set({ fannedOutAt: sql`now()` }).where(eq(events.id, eventId));
        return { event, destinationIds: planned.map((p) => p.destinationId) };
      });
    },

    /** Destinations that have due work and may send now (not paused, disabled or deleted). */
    async destinationsWithDueWork(limit: number): Promise<{ tenantId: string; destinationId: string }[]> {
      const result = await db.execute<{ destination_id: string; tenant_id: string }>(sql`
        select due.destination_id, dst.tenant_id from (
          select distinct destination_id from deliveries
          where status = 'pending' and next_attempt_at <= now()
        ) due
        join destinations dst on dst.id = due.destination_id
        where dst.deleted_at is null and dst.enabled and dst.paused_at is null
        limit ${limit}`);
      return result.rows.map((row) => ({ tenantId: row.tenant_id, destinationId: row.destination_id }));
    },

    async summariesForEvent(tenantId: string, eventId: string) {
      return db
        .select({ id: deliveries.id, destinationId: deliveries.destinationId, status: deliveries.status })
        .from(deliveries)
        .where(and(eq(deliveries.tenantId, tenantId), eq(deliveries.eventId, eventId)))
        .orderBy(asc(deliveries.id));
    },

    async list(tenantId: string, filters: DeliveryFilters, page: PageRequest) {
      if ((filters.destinationId && !isId(filters.destinationId)) || (filters.eventId && !isId(filters.eventId))) {
        return { data: [], nextCursor: null };
      }
      const rows = await db
        .select()
        .from(deliveries)
        .where(
          and(
            eq(deliveries.tenantId, tenantId),
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

    async get(tenantId: string, id: string) {
      if (!isId(id)) return undefined;
      const [row] = await db
        .select()
        .from(deliveries)
        .where(and(eq(deliveries.tenantId, tenantId), eq(deliveries.id, id)));
      return row;
    },

    async attemptLog(deliveryId: string) {
      return db
        .select()
        .from(deliveryAttempts)
        .where(eq(deliveryAttempts.deliveryId, deliveryId))
        .orderBy(asc(deliveryAttempts.n), asc(deliveryAttempts.at));
    },

    /** Gauges for /metrics: pending deliveries and open dead letters, per destination type. */
    async backlogByType(): Promise<{ type: string; pending: number; dead: number }[]> {
      const counts = await db.execute<{ type: string; what: 'pending' | 'dead'; n: string }>(sql`
        select dst.type, 'pending' as what, count(*) as n from deliveries d
        join destinations dst on dst.id = d.destination_id where d.status = 'pending' group by dst.type
        union all
        select dst.type, 'dead' as what, count(*) as n from dlq_entries q
        join destinations dst on dst.id = q.destination_id where q.state = 'open' group by dst.type`);
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
