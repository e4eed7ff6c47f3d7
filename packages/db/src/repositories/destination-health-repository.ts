import { and, eq, inArray } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import { type DestinationHealthRow, destinationHealth } from '../schema/destinations.ts';

export type HealthState = DestinationHealthRow['state'];

/** How each destination is doing, as the drains saw it: one row per destination, written on change. */
export function createDestinationHealthRepository(ex: Executor) {
  return {
    /**
     * Records the state, unless it is the stored one already (then `since` and `detail` stay):
     * concurrent drains of one destination write at most one transition each. Answers whether
     * the state changed.
     */
    async record(tenantId: string, destinationId: string, state: HealthState, detail: string | null): Promise<boolean> {
      const result = await ex.query({
        name: 'health-record',
        text: `insert into destination_health (destination_id, tenant_id, state, since, detail)
               values ($1, $2, $3, now(), $4)
               on conflict (destination_id) do update
                 set state = excluded.state, since = excluded.since, detail = excluded.detail
                 where destination_health.state <> excluded.state
               returning destination_id`,
        values: [destinationId, tenantId, state, detail],
      });
      return (result.rowCount ?? 0) > 0;
    },

    /**
     * Marks the destination slowed down until `until` (null: no longer), for the drains of every
     * worker (destinations-repository getForDrain). Only on the row the drains' health record made.
     */
    async markSlowed(tenantId: string, destinationId: string, until: Date | null): Promise<void> {
      await ex.query({
        name: 'health-mark-slowed',
        text: `update destination_health set slowed_until = $3::timestamptz
               where destination_id = $1 and tenant_id = $2 and ($3::timestamptz is not null or slowed_until is not null)`,
        values: [destinationId, tenantId, until],
      });
    },

    async forDestinations(tenantId: string, destinationIds: string[]): Promise<Map<string, DestinationHealthRow>> {
      if (destinationIds.length === 0) return new Map();
      const rows = await ex.db
        .select()
        .from(destinationHealth)
        .where(and(eq(destinationHealth.tenantId, tenantId), inArray(destinationHealth.destinationId, destinationIds)));
      return new Map(rows.map((row) => [row.destinationId, row]));
    },
  };
}

export type DestinationHealthRepository = ReturnType<typeof createDestinationHealthRepository>;
