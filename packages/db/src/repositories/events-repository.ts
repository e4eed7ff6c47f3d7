import { and, asc, desc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { Database } from '../client.ts';
import { isId } from '../ids.ts';
import { afterCursor, type PageRequest, toPage } from '../pagination.ts';
import { type EventRow, events, type NewEventRow } from '../schema.ts';

export type NewEvent = Omit<NewEventRow, 'tenantId' | 'receivedAt' | 'fannedOutAt'>;

export interface StoredKey {
  id: string;
  idempotencyKey: string;
  requestHash: string;
}

export interface EventFilters {
  customerExternalId?: string | undefined;
  eventType?: string | undefined;
}

export function createEventsRepository(db: Database) {
  return {
    /**
     * Inserts the events in one statement. Rows whose idempotency key the tenant already
     * used are skipped; the answer lists only the rows this call inserted. Concurrent
     * inserts of one key wait on the unique index, so exactly one of them wins.
     *
     * Plain SQL rather than the query builder: this is the hottest statement of the API, and
     * with one array per column its text is the same for 1 row or 500, so PostgreSQL parses
     * and plans it once per connection (a named prepared statement). Array order is row order,
     * so the events' accept order (seq) follows the request's order as before.
     */
    async insertMany(tenantId: string, rows: NewEvent[]): Promise<StoredKey[]> {
      if (rows.length === 0) return [];
      const result = await db.$client.query<{ id: string; idempotency_key: string; request_hash: string }>({
        name: 'events-insert-many',
        text: `insert into "events" (id, tenant_id, idempotency_key, request_hash, event_type, occurred_at, source,
                                     customer_external_id, correlation_id, payload, metadata)
               select v.id, $1::uuid, v.idempotency_key, v.request_hash, v.event_type, v.occurred_at, v.source,
                      v.customer_external_id, v.correlation_id, v.payload, v.metadata
               from unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::text[],
                           $9::text[], $10::jsonb[], $11::jsonb[])
                 as v(id, idempotency_key, request_hash, event_type, occurred_at, source, customer_external_id,
                      correlation_id, payload, metadata)
               on conflict (tenant_id, idempotency_key) do nothing
               returning id, idempotency_key, request_hash`,
        values: [
          tenantId,
          rows.map((row) => row.id),
          rows.map((row) => row.idempotencyKey),
          rows.map((row) => row.requestHash),
          rows.map((row) => row.eventType),
          rows.map((row) => row.occurredAt),
          rows.map((row) => row.source),
          rows.map((row) => row.customerExternalId),
          rows.map((row) => row.correlationId ?? null),
          rows.map((row) => JSON.stringify(row.payload)),
          rows.map((row) => (row.metadata ? JSON.stringify(row.metadata) : null)),
        ],
      });
      return result.rows.map((row) => ({
        id: row.id,
        idempotencyKey: row.idempotency_key,
        requestHash: row.request_hash,
      }));
    },

    async findByIdempotencyKeys(tenantId: string, keys: string[]): Promise<StoredKey[]> {
      if (keys.length === 0) return [];
      return db
        .select({ id: events.id, idempotencyKey: events.idempotencyKey, requestHash: events.requestHash })
        .from(events)
        .where(and(eq(events.tenantId, tenantId), inArray(events.idempotencyKey, keys)));
    },

    async get(tenantId: string, eventId: string): Promise<EventRow | undefined> {
      if (!isId(eventId)) return undefined;
      const [row] = await db
        .select()
        .from(events)
        .where(and(eq(events.tenantId, tenantId), eq(events.id, eventId)));
      return row;
    },

    /**
     * A payload and metadata as this table would give them back: jsonb orders an object's keys
     * by length, then bytewise, and keeps the last of repeated keys. The preview shows an event
     * that was never stored exactly as a stored one would be sent.
     */
    async asStored(
      payload: Record<string, unknown>,
      metadata: Record<string, unknown> | null,
    ): Promise<{ payload: Record<string, unknown>; metadata: Record<string, unknown> | null }> {
      const result = await db.$client.query<{
        payload: Record<string, unknown>;
        metadata: Record<string, unknown> | null;
      }>('select $1::jsonb as payload, $2::jsonb as metadata', [
        JSON.stringify(payload),
        metadata === null ? null : JSON.stringify(metadata),
      ]);
      return result.rows[0] ?? { payload, metadata };
    },

    async list(tenantId: string, filters: EventFilters, page: PageRequest) {
      const rows = await db
        .select()
        .from(events)
        .where(
          and(
            eq(events.tenantId, tenantId),
            filters.customerExternalId ? eq(events.customerExternalId, filters.customerExternalId) : undefined,
            filters.eventType ? eq(events.eventType, filters.eventType) : undefined,
            afterCursor(events.id, page),
          ),
        )
        .orderBy(desc(events.id))
        .limit(page.limit + 1);
      return toPage(rows, page.limit, (row) => row);
    },

    /** Events accepted before `receivedBefore` whose fan-out never completed: the sweeper's work. */
    async listAwaitingFanOut(receivedBefore: Date, limit: number): Promise<{ id: string; tenantId: string }[]> {
      return db
        .select({ id: events.id, tenantId: events.tenantId })
        .from(events)
        .where(and(isNull(events.fannedOutAt), lt(events.receivedAt, receivedBefore)))
        .orderBy(asc(events.receivedAt))
        .limit(limit);
    },

    async markFannedOut(tenantId: string, eventId: string): Promise<void> {
      await db
        .update(events)
        .set({ fannedOutAt: sql`now()` })
        .where(and(eq(events.tenantId, tenantId), eq(events.id, eventId), isNull(events.fannedOutAt)));
    },
  };
}

export type EventsRepository = ReturnType<typeof createEventsRepository>;
