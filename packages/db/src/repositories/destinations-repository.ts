import { and, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import { afterCursor, type PageRequest, toPage } from '../pagination.ts';
import {
  type DestinationRow,
  destinationHealth,
  destinations,
  type NewDestinationRow,
} from '../schema/destinations.ts';

export interface DestinationFilters {
  customerExternalId?: string | undefined;
  type?: DestinationRow['type'] | undefined;
}

export type DestinationChanges = Partial<
  Omit<NewDestinationRow, 'id' | 'tenantId' | 'customerExternalId' | 'type' | 'createdAt' | 'deletedAt'>
>;

/**
 * Every read and write names the tenant, and a portal token's calls its customer too;
 * deleted destinations are invisible here unless said.
 */
export function createDestinationsRepository(ex: Executor) {
  const visible = (tenantId: string, id: string, customerExternalId?: string) =>
    and(
      eq(destinations.tenantId, tenantId),
      eq(destinations.id, id),
      isNull(destinations.deletedAt),
      customerExternalId === undefined ? undefined : eq(destinations.customerExternalId, customerExternalId),
    );

  return {
    async insert(row: NewDestinationRow): Promise<DestinationRow> {
      const [inserted] = await ex.db.insert(destinations).values(row).returning();
      return inserted!;
    },

    async get(tenantId: string, id: string, customerExternalId?: string): Promise<DestinationRow | undefined> {
      const [row] = await ex.db
        .select()
        .from(destinations)
        .where(visible(tenantId, id, customerExternalId));
      return row;
    },

    /** Also finds deleted destinations: for dead-letter entries and workers that must know why. */
    async getIncludingDeleted(tenantId: string, id: string): Promise<DestinationRow | undefined> {
      const [row] = await ex.db
        .select()
        .from(destinations)
        .where(and(eq(destinations.tenantId, tenantId), eq(destinations.id, id)));
      return row;
    },

    /**
     * The drain's read (also of deleted destinations), with whether a worker slowed it down: its
     * health says AWS throttles it, or the slowdown has not been lifted yet. Another worker may
     * have seen that, and this drain then paces itself too (send-rate.ts).
     */
    async getForDrain(tenantId: string, id: string): Promise<(DestinationRow & { slowedDown: boolean }) | undefined> {
      const [found] = await ex.db
        .select({ row: destinations, state: destinationHealth.state, slowedUntil: destinationHealth.slowedUntil })
        .from(destinations)
        .leftJoin(destinationHealth, eq(destinationHealth.destinationId, destinations.id))
        .where(and(eq(destinations.tenantId, tenantId), eq(destinations.id, id)));
      if (!found) return undefined;
      const slowed = found.slowedUntil !== null && found.slowedUntil.getTime() > Date.now();
      return { ...found.row, slowedDown: found.state === 'throttled' || slowed };
    },

    /** The fan-out's candidates: the customers' destinations that are not deleted. */
    async forCustomers(tx: Executor, tenantId: string, customerExternalIds: string[]): Promise<DestinationRow[]> {
      if (customerExternalIds.length === 0) return [];
      return tx.db
        .select()
        .from(destinations)
        .where(
          and(
            eq(destinations.tenantId, tenantId),
            inArray(destinations.customerExternalId, customerExternalIds),
            isNull(destinations.deletedAt),
          ),
        );
    },

    async list(tenantId: string, filters: DestinationFilters, page: PageRequest) {
      const rows = await ex.db
        .select()
        .from(destinations)
        .where(
          and(
            eq(destinations.tenantId, tenantId),
            isNull(destinations.deletedAt),
            filters.customerExternalId ? eq(destinations.customerExternalId, filters.customerExternalId) : undefined,
            filters.type ? eq(destinations.type, filters.type) : undefined,
            afterCursor(destinations.id, page),
          ),
        )
        .orderBy(desc(destinations.id))
        .limit(page.limit + 1);
      return toPage(rows, page.limit, (row) => row);
    },

    async update(
      tenantId: string,
      id: string,
      changes: DestinationChanges,
      customerExternalId?: string,
    ): Promise<DestinationRow | undefined> {
      const [row] = await ex.db
        .update(destinations)
        .set({ ...changes, updatedAt: new Date() })
        .where(visible(tenantId, id, customerExternalId))
        .returning();
      return row;
    },

    /**
     * Soft-deletes the destination: drains stop at once, and its backlog goes to the dead-letter
     * queue in the background (bounded batches). Answers false when there was no such destination.
     */
    async markDeleted(tenantId: string, id: string, customerExternalId?: string): Promise<boolean> {
      const rows = await ex.db
        .update(destinations)
        .set({ deletedAt: sql`now()`, enabled: false, updatedAt: sql`now()` })
        .where(visible(tenantId, id, customerExternalId))
        .returning({ id: destinations.id });
      return rows.length > 0;
    },

    /**
     * Lifts the regroup barrier, unless a PATCH set it again since `startedAt` (that PATCH's
     * grouping is not the one this regroup applied): answers whether it was lifted.
     */
    async finishRegrouping(tenantId: string, id: string, startedAt: Date): Promise<boolean> {
      const rows = await ex.db
        .update(destinations)
        .set({ regroupingAt: null })
        .where(
          and(
            eq(destinations.tenantId, tenantId),
            eq(destinations.id, id),
            // PostgreSQL keeps microseconds; the time read back in JavaScript has milliseconds.
            sql`date_trunc('milliseconds', ${destinations.regroupingAt}) = ${startedAt}`,
          ),
        )
        .returning({ id: destinations.id });
      return rows.length > 0;
    },
  };
}

export type DestinationsRepository = ReturnType<typeof createDestinationsRepository>;
