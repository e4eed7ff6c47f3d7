import { and, desc, eq, isNull } from 'drizzle-orm';
import type { PoolClient } from 'pg';
import type { Database } from '../client.ts';
import { isId } from '../ids.ts';
import { afterCursor, type PageRequest, toPage } from '../pagination.ts';
import { type DestinationRow, destinations, type NewDestinationRow } from '../schema.ts';
import { insertDeadLetters } from './delivery-outcomes.ts';

export interface DestinationFilters {
  customerExternalId?: string | undefined;
  type?: DestinationRow['type'] | undefined;
}

export type DestinationChanges = Partial<
  Omit<NewDestinationRow, 'id' | 'tenantId' | 'customerExternalId' | 'type' | 'createdAt' | 'deletedAt'>
>;

/** Every read and write names the tenant; deleted destinations are invisible here. */
export function createDestinationsRepository(db: Database) {
  const visible = (tenantId: string, id: string) =>
    and(eq(destinations.tenantId, tenantId), eq(destinations.id, id), isNull(destinations.deletedAt));

  return {
    async insert(row: NewDestinationRow): Promise<DestinationRow> {
      const [inserted] = await db.insert(destinations).values(row).returning();
      return inserted!;
    },

    async get(tenantId: string, id: string): Promise<DestinationRow | undefined> {
      if (!isId(id)) return undefined;
      const [row] = await db.select().from(destinations).where(visible(tenantId, id));
      return row;
    },

    /** Also finds deleted destinations: for dead-letter entries and workers that must know why. */
    async getIncludingDeleted(tenantId: string, id: string): Promise<DestinationRow | undefined> {
      if (!isId(id)) return undefined;
      const [row] = await db
        .select()
        .from(destinations)
        .where(and(eq(destinations.tenantId, tenantId), eq(destinations.id, id)));
      return row;
    },

    async list(tenantId: string, filters: DestinationFilters, page: PageRequest) {
      const rows = await db
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

    async update(tenantId: string, id: string, changes: DestinationChanges): Promise<DestinationRow | undefined> {
      if (!isId(id)) return undefined;
      const [row] = await db
        .update(destinations)
        .set({ ...changes, updatedAt: new Date() })
        .where(visible(tenantId, id))
        .returning();
      return row;
    },

    /**
     * The pending deliveries of destinations deleted in the last hour go to the dead-letter
     * queue. DELETE does this in its own transaction; this pass (the sweeper's) catches what a
     * fan-out or a replay created while that DELETE committed: neither locks the destination,
     * so they cannot hold a DELETE or a PATCH up.
     */
    async deadLetterOrphans(): Promise<number> {
      const client = await db.$client.connect();
      try {
        await client.query('begin');
        const count = await deadLetterPendingOf(
          client,
          `destination_id in (select id from destinations where deleted_at > now() - interval '1 hour')`,
          [],
        );
        await client.query('commit');
        return count;
      } catch (error) {
        await client.query('rollback').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },

    /**
     * Soft-deletes the destination and, in the same transaction, moves its pending
     * deliveries to the dead-letter queue with reason destination_deleted: nothing waits
     * forever on a destination that is gone. Returns false when there was no such destination.
     */
    async deleteWithPendingDeliveries(
      tenantId: string,
      id: string,
    ): Promise<{ deleted: boolean; deadLettered: number }> {
      if (!isId(id)) return { deleted: false, deadLettered: 0 };
      const client = await db.$client.connect();
      try {
        await client.query('begin');
        const deleted = await client.query(
          `update destinations set deleted_at = now(), enabled = false, updated_at = now()
           where tenant_id = $1 and id = $2 and deleted_at is null returning id`,
          [tenantId, id],
        );
        if (deleted.rowCount === 0) {
          await client.query('rollback');
          return { deleted: false, deadLettered: 0 };
        }
        const deadLettered = await deadLetterPendingOf(client, 'destination_id = $1', [id]);
        await client.query('commit');
        return { deleted: true, deadLettered };
      } catch (error) {
        await client.query('rollback').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
  };
}

/** Moves the pending deliveries matching `where` to the dead-letter queue (destination_deleted). */
async function deadLetterPendingOf(client: PoolClient, where: string, params: unknown[]): Promise<number> {
  const error = {
    code: 'destination_deleted',
    message: 'The destination was deleted before this delivery was sent.',
    at: new Date().toISOString(),
  };
  const dead = await client.query<{ id: string }>(
    `update deliveries set status = 'dead', last_error = $${params.length + 1}, updated_at = now()
     where ${where} and status = 'pending' returning id`,
    [...params, JSON.stringify(error)],
  );
  await insertDeadLetters(
    client,
    dead.rows.map((row) => ({ deliveryId: row.id, error, reason: 'destination_deleted' as const })),
  );
  return dead.rowCount ?? 0;
}

export type DestinationsRepository = ReturnType<typeof createDestinationsRepository>;
