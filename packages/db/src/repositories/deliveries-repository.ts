import { and, asc, desc, eq, inArray, isNull, or, sql } from 'drizzle-orm';
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

/** Which of the candidate destinations (the event's customer's, not deleted) get a delivery, and how. */
export type FanOutPlan = (event: EventRow, candidates: DestinationRow[]) => PlannedDelivery[];

export interface DeliveryFilters {
  destinationId?: string | undefined;
  eventId?: string | undefined;
  status?: DeliveryStatus | undefined;
  /** Only deliveries to this customer's destinations (a portal token's calls). */
  customerExternalId?: string | undefined;
}

export function createDeliveriesRepository(db: Database) {
  /** Deliveries to the destinations of one customer of a tenant (all of them when no customer is named). */
  const ofCustomer = (tenantId: string, customerExternalId: string | undefined) =>
    customerExternalId === undefined
      ? undefined
      : inArray(
          deliveries.destinationId,
          db
            .select({ id: destinations.id })
            .from(destinations)
            .where(and(eq(destinations.tenantId, tenantId), eq(destinations.customerExternalId, customerExternalId))),
        );

  /**
   * The fan-out of several events in one transaction of three statements, whatever their
   * number: lock the events, read their customers' destinations, then insert every
   * delivery and set every outbox mark in one statement. A transaction per event made the
   * fan-out the slowest step of delivery (six round trips per event).
   *
   * The event rows are locked (in id order, so two overlapping batches cannot deadlock),
   * so two fan-outs of one event serialise and the second finds it done; the unique
   * (event, destination) index makes any re-run create nothing twice. Answers only the
   * events this call fanned out; ones already fanned out or missing are left out.
   */
  async function fanOutMany(
    targets: { tenantId: string; eventId: string }[],
    plan: FanOutPlan,
  ): Promise<{ event: EventRow; destinationIds: string[] }[]> {
    const wanted = new Set(targets.map((t) => `${t.tenantId}/${t.eventId}`));
    if (wanted.size === 0) return [];
    return db.transaction(async (tx) => {
      const locked = await tx
        .select()
        .from(events)
        .where(
          and(
            inArray(events.id, [...new Set(targets.map((t) => t.eventId))]),
            inArray(events.tenantId, [...new Set(targets.map((t) => t.tenantId))]),
          ),
        )
        .orderBy(asc(events.id))
        .for('update');
      // Each event only with its own tenant: an id paired with another tenant matches nothing.
      const todo = locked.filter((event) => !event.fannedOutAt && wanted.has(`${event.tenantId}/${event.id}`));
      if (todo.length === 0) return [];
      const customers = new Map(todo.map((e) => [`${e.tenantId}/${e.customerExternalId}`, e]));
      // Not locked: a DELETE committing meanwhile may leave deliveries pending on a deleted
      // destination; the sweeper's orphan pass dead-letters them (a lock here made every DELETE
      // and PATCH wait behind back-to-back fan-out batches).
      const candidates = await tx
        .select()
        .from(destinations)
        .where(
          and(
            or(
              ...[...customers.values()].map((e) =>
                and(eq(destinations.tenantId, e.tenantId), eq(destinations.customerExternalId, e.customerExternalId)),
              ),
            ),
            isNull(destinations.deletedAt),
          ),
        );
      const byCustomer = new Map<string, DestinationRow[]>();
      for (const row of candidates) {
        const key = `${row.tenantId}/${row.customerExternalId}`;
        const rows = byCustomer.get(key);
        if (rows) rows.push(row);
        else byCustomer.set(key, [row]);
      }
      const done = todo.map((event) => ({
        event,
        planned: plan(event, byCustomer.get(`${event.tenantId}/${event.customerExternalId}`) ?? []),
      }));
      const rows = done.flatMap(({ event, planned }) =>
        planned.map((p) => ({
          id: newId(),
          tenantId: event.tenantId,
          eventId: event.id,
          destinationId: p.destinationId,
          orderingKey: p.orderingKey,
          orderSeq: event.seq,
          expiresAt: new Date(event.receivedAt.getTime() + p.maxAgeSeconds * 1000),
        })),
      );
      // One statement, one array per column: its text does not grow with the batch.
      const column = <T>(pick: (row: (typeof rows)[number]) => T) => sql.param(rows.map(pick));
      await tx.execute(sql`
        with inserted as (
          insert into deliveries (id, tenant_id, event_id, destination_id, ordering_key, order_seq, expires_at)
          select * from unnest(${column((r) => r.id)}::uuid[], ${column((r) => r.tenantId)}::uuid[],
                               ${column((r) => r.eventId)}::uuid[], ${column((r) => r.destinationId)}::uuid[],
                               ${column((r) => r.orderingKey)}::text[], ${column((r) => r.orderSeq)}::bigint[],
                               ${column((r) => r.expiresAt)}::timestamptz[])
          on conflict (event_id, destination_id) do nothing
        )
        update events set fanned_out_at = now()
        where id = any(${sql.param(todo.map((e) => e.id))}::uuid[])`);
      return done.map(({ event, planned }) => ({ event, destinationIds: planned.map((p) => p.destinationId) }));
    });
  }

  return {
    /**
     * The fan-out of one event, in one transaction: its deliveries and its outbox mark.
     * Returns undefined when the event was already fanned out (or does not exist).
     */
    async fanOut(
      tenantId: string,
      eventId: string,
      plan: FanOutPlan,
    ): Promise<{ event: EventRow; destinationIds: string[] } | undefined> {
      const [done] = await fanOutMany([{ tenantId, eventId }], plan);
      return done;
    },

    fanOutMany,

    /** Destinations that have due work and may send now (not paused, disabled or deleted). */
    async destinationsWithDueWork(limit: number): Promise<{ tenantId: string; destinationId: string }[]> {
      // One index probe per destination that may send (deliveries_due_idx): the cost follows the
      // number of destinations, not of due rows, and a paused destination's backlog is never
      // read. The longest-waiting come first, so none is starved past the limit.
      const result = await db.execute<{ destination_id: string; tenant_id: string }>(sql`
        select dst.id as destination_id, dst.tenant_id
        from destinations dst
        cross join lateral (
          select d.next_attempt_at from deliveries d
          where d.destination_id = dst.id and d.status = 'pending' and d.next_attempt_at <= now()
          order by d.next_attempt_at
          limit 1
        ) due
        where dst.deleted_at is null and dst.enabled and dst.paused_at is null
        order by due.next_attempt_at
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
      if (!isId(id)) return undefined;
      const [row] = await db
        .select()
        .from(deliveries)
        .where(and(eq(deliveries.tenantId, tenantId), eq(deliveries.id, id), ofCustomer(tenantId, customerExternalId)));
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
