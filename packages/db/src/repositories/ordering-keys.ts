import { and, asc, eq, gt } from 'drizzle-orm';
import type { Database } from '../client.ts';
import { deliveries, type EventRow, events } from '../schema.ts';

/**
 * Recomputes the FIFO group (ordering_key) of a destination's pending deliveries, after its
 * config changed how groups are formed (messageGroupIdField, or a queue that became FIFO).
 * The claim groups by this column while the adapter sends with the new MessageGroupId: left
 * stale, two messages of one new group could be in flight at once, or leave out of order.
 * Works in pages and keeps every delivery's turn (order_seq); answers how many it updated.
 */
export async function reassignOrderingKeys(
  db: Database,
  destinationId: string,
  orderingKey: (event: EventRow) => string | null,
  pageSize = 1_000,
): Promise<number> {
  let updated = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const page = await db
      .select({ id: deliveries.id, event: events })
      .from(deliveries)
      .innerJoin(events, eq(events.id, deliveries.eventId))
      .where(
        and(eq(deliveries.destinationId, destinationId), eq(deliveries.status, 'pending'), gt(deliveries.id, after)),
      )
      .orderBy(asc(deliveries.id))
      .limit(pageSize);
    if (page.length === 0) return updated;
    await db.$client.query(
      `update deliveries d set ordering_key = v.key, updated_at = now()
       from unnest($1::uuid[], $2::text[]) as v(id, key) where d.id = v.id and d.status = 'pending'`,
      [page.map((row) => row.id), page.map((row) => orderingKey(row.event))],
    );
    updated += page.length;
    after = page.at(-1)!.id;
  }
}
