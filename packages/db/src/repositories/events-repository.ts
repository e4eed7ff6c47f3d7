import { and, desc, eq, inArray, lt } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import type { PageRequest } from '../pagination.ts';
import { type EventRow, events } from '../schema/events.ts';

/** An event to store, its payload and metadata already serialised (once, by the caller). */
export interface NewEvent {
  id: string;
  idempotencyKey: string;
  requestHash: string;
  eventType: string;
  occurredAt: Date;
  source: string;
  customerExternalId: string;
  correlationId: string | null;
  payloadJson: string;
  metadataJson: string | null;
  /** W3C traceparent of the request that stored it, while tracing is on. */
  traceContext: string | null;
}

const bytesOf = (row: NewEvent) =>
  Buffer.byteLength(row.payloadJson) + (row.metadataJson ? Buffer.byteLength(row.metadataJson) : 0);

export interface StoredKey {
  id: string;
  idempotencyKey: string;
  requestHash: string;
}

export interface EventFilters {
  customerExternalId?: string | undefined;
  eventType?: string | undefined;
  idempotencyKey?: string | undefined;
}

/** The most event bytes one list page loads, whatever its limit: large events make shorter pages. */
export const EVENT_PAGE_BYTES = 4 * 1024 * 1024;

export function createEventsRepository(ex: Executor) {
  return {
    /**
     * Inserts the events and their outbox rows in one statement. Rows whose idempotency key
     * the tenant already used are skipped; the answer lists the ids this call inserted.
     * Concurrent inserts of one key wait on the unique index, so exactly one of them wins.
     * With one array per column its text is the same for 1 row or 500: PostgreSQL parses and
     * plans it once per connection. Array order is row order, so accept order (seq) follows
     * the request's order.
     */
    async insertMany(tenantId: string, rows: NewEvent[]): Promise<string[]> {
      if (rows.length === 0) return [];
      const result = await ex.query<{ event_id: string }>({
        name: 'events-insert-many',
        text: `with inserted as (
                 insert into events (id, tenant_id, idempotency_key, request_hash, event_type, occurred_at, source,
                                     customer_external_id, correlation_id, payload, metadata, bytes, trace_context)
                 select v.id, $1::uuid, v.idempotency_key, v.request_hash, v.event_type, v.occurred_at, v.source,
                        v.customer_external_id, v.correlation_id, v.payload, v.metadata, v.bytes, v.trace_context
                 from unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::text[],
                             $9::text[], $10::jsonb[], $11::jsonb[], $12::int[], $13::text[])
                   as v(id, idempotency_key, request_hash, event_type, occurred_at, source, customer_external_id,
                        correlation_id, payload, metadata, bytes, trace_context)
                 on conflict (tenant_id, idempotency_key) do nothing
                 returning id, seq, customer_external_id, bytes
               )
               insert into event_outbox (tenant_id, seq, event_id, customer_external_id, bytes)
               select $1::uuid, seq, id, customer_external_id, bytes from inserted
               returning event_id`,
        values: [
          tenantId,
          rows.map((row) => row.id),
          rows.map((row) => row.idempotencyKey),
          rows.map((row) => row.requestHash),
          rows.map((row) => row.eventType),
          rows.map((row) => row.occurredAt),
          rows.map((row) => row.source),
          rows.map((row) => row.customerExternalId),
          rows.map((row) => row.correlationId),
          rows.map((row) => row.payloadJson),
          rows.map((row) => row.metadataJson),
          rows.map(bytesOf),
          rows.map((row) => row.traceContext),
        ],
      });
      return result.rows.map((row) => row.event_id);
    },

    async findByIdempotencyKeys(tenantId: string, keys: string[]): Promise<StoredKey[]> {
      if (keys.length === 0) return [];
      return ex.db
        .select({ id: events.id, idempotencyKey: events.idempotencyKey, requestHash: events.requestHash })
        .from(events)
        .where(and(eq(events.tenantId, tenantId), inArray(events.idempotencyKey, keys)));
    },

    async get(tenantId: string, eventId: string): Promise<EventRow | undefined> {
      const [row] = await ex.db
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
      const result = await ex.query<{
        payload: Record<string, unknown>;
        metadata: Record<string, unknown> | null;
      }>('select $1::jsonb as payload, $2::jsonb as metadata', [
        JSON.stringify(payload),
        metadata === null ? null : JSON.stringify(metadata),
      ]);
      return result.rows[0] ?? { payload, metadata };
    },

    async findByIdempotencyKey(tenantId: string, idempotencyKey: string): Promise<EventRow | undefined> {
      const [row] = await ex.db
        .select()
        .from(events)
        .where(and(eq(events.tenantId, tenantId), eq(events.idempotencyKey, idempotencyKey)));
      return row;
    },

    /**
     * Newest first, at most `limit` events and about EVENT_PAGE_BYTES of them (at least one):
     * sizes are read first, so events past the budget are never loaded.
     */
    async list(
      tenantId: string,
      filters: EventFilters,
      page: PageRequest,
    ): Promise<{ rows: EventRow[]; more: boolean }> {
      const sizes = await ex.db
        .select({ id: events.id, bytes: events.bytes })
        .from(events)
        .where(
          and(
            eq(events.tenantId, tenantId),
            filters.customerExternalId ? eq(events.customerExternalId, filters.customerExternalId) : undefined,
            filters.eventType ? eq(events.eventType, filters.eventType) : undefined,
            filters.idempotencyKey ? eq(events.idempotencyKey, filters.idempotencyKey) : undefined,
            page.after ? lt(events.id, page.after) : undefined,
          ),
        )
        .orderBy(desc(events.id))
        .limit(page.limit + 1);
      const ids: string[] = [];
      let bytes = 0;
      for (const size of sizes.slice(0, page.limit)) {
        if (ids.length > 0 && bytes + size.bytes > EVENT_PAGE_BYTES) break;
        ids.push(size.id);
        bytes += size.bytes;
      }
      if (ids.length === 0) return { rows: [], more: false };
      const rows = await ex.db
        .select()
        .from(events)
        .where(and(eq(events.tenantId, tenantId), inArray(events.id, ids)))
        .orderBy(desc(events.id));
      return { rows, more: sizes.length > ids.length };
    },
  };
}

export type EventsRepository = ReturnType<typeof createEventsRepository>;
