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
     */
    async insertMany(tenantId: string, rows: NewEvent[]): Promise<StoredKey[]> {
      if (rows.length === 0) return [];
      return db
        .insert(events)
        .values(rows.map((row) => ({ ...row, tenantId })))
        .onConflictDoNothing({ target: [events.tenantId, events.idempotencyKey] })
        .returning({ id: events.id, idempotencyKey: events.idempotencyKey, requestHash: events.requestHash });
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
