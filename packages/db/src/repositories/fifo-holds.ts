import type { Executor } from '../client.ts';
import { QUEUE_AND_GROUPS } from './delivery-queue.ts';
import type { DestinationRef } from './due-work.ts';

/**
 * FIFO groups held behind their dead head (a destination whose fifo.onDeadLetter is "hold").
 * The drain's outcome statement holds a group (fifo_groups.held_at, due_at 'infinity') and
 * marks the dead-letter entry holds_group; this module lets groups go again: a replay puts the
 * dead delivery back at its own turn (ahead of everything the group has waiting), a discard or a
 * PATCH back to "skip" releases the group. A group goes again only when no open entry holds it
 * any more, and then its waiting deliveries get a fresh retry window: waiting behind a hold
 * uses none of it.
 */

interface GroupRef {
  destinationId: string;
  orderingKey: string;
}

const RETRY_WINDOW = 'make_interval(secs => coalesce(dst.retry_max_age_seconds, 86400))';

/**
 * Releases the given groups that are held and that no open entry holds any more; answers the
 * destinations whose drains to wake. The group rows are locked first, in a statement of their
 * own, so two releases of one group (a replay and a discard of two entries that both hold it)
 * cannot both see the other's entry still open: the second waits, then reads the first's commit.
 */
async function releaseGroups(tx: Executor, groups: GroupRef[]): Promise<DestinationRef[]> {
  if (groups.length === 0) return [];
  const values = [groups.map((g) => g.destinationId), groups.map((g) => g.orderingKey)];
  await tx.query(
    `select 1 from fifo_groups g join unnest($1::uuid[], $2::text[]) as v(destination_id, ordering_key)
       on g.destination_id = v.destination_id and g.ordering_key = v.ordering_key
     order by g.destination_id, g.ordering_key
     for update of g`,
    values,
  );
  const result = await tx.query<{ tenant_id: string; destination_id: string }>(
    `with v as (select distinct * from unnest($1::uuid[], $2::text[]) as v(destination_id, ordering_key)),
     released as (
       update fifo_groups g set held_at = null, due_at = now()
       from v where g.destination_id = v.destination_id and g.ordering_key = v.ordering_key and g.held_at is not null
         and not exists (
           select 1 from dlq_entries q join deliveries d on d.id = q.delivery_id
           where q.destination_id = g.destination_id and q.state = 'open' and q.holds_group
             and d.ordering_key = g.ordering_key
         )
       returning g.destination_id, g.ordering_key, g.tenant_id
     ),
     windows as (
       update delivery_queue q set expires_at = now() + ${RETRY_WINDOW}
       from released r join destinations dst on dst.id = r.destination_id
       where q.destination_id = r.destination_id and q.ordering_key = r.ordering_key
       returning q.delivery_id, q.expires_at
     ),
     renewed as (update deliveries d set expires_at = w.expires_at from windows w where d.id = w.delivery_id)
     select distinct tenant_id, destination_id from released`,
    values,
  );
  return result.rows.map((row) => ({ tenantId: row.tenant_id, destinationId: row.destination_id }));
}

const refsOf = (rows: { tenant_id: string; destination_id: string }[]): DestinationRef[] =>
  rows.map((row) => ({ tenantId: row.tenant_id, destinationId: row.destination_id }));

function unique(refs: DestinationRef[]): DestinationRef[] {
  return [...new Map(refs.map((ref) => [ref.destinationId, ref])).values()];
}

export function createFifoHolds(ex: Executor) {
  return {
    /**
     * A replay of dead deliveries that hold their groups: each goes back in line at its own
     * turn (order_seq unchanged), so it is its group's head and leaves first, with a fresh round
     * of retries and the same event (the same MessageDeduplicationId). Several of one group go
     * in their original order. Their entries hold nothing any more; the groups go again once no
     * other open entry holds them. Call with deliveries the caller has locked and found dead.
     */
    async requeueHeld(tx: Executor, deliveryIds: string[]): Promise<DestinationRef[]> {
      if (deliveryIds.length === 0) return [];
      const lined = await tx.query<{ tenant_id: string; destination_id: string; ordering_key: string | null }>({
        name: 'holds-requeue-held',
        text: `with lined as (
                 update deliveries d set
                   status = 'pending', retry_base = d.attempts, updated_at = now(),
                   expires_at = now() + ${RETRY_WINDOW}
                 from destinations dst, events e
                 where d.id = any($1::uuid[]) and dst.id = d.destination_id and e.id = d.event_id
                 returning d.id, d.tenant_id, d.destination_id, d.ordering_key, d.order_seq, d.expires_at, e.bytes
               ),
               ${QUEUE_AND_GROUPS},
               unheld as (update dlq_entries set holds_group = false where delivery_id = any($1::uuid[]))
               select distinct tenant_id, destination_id, ordering_key from lined`,
        values: [deliveryIds],
      });
      const groups = lined.rows.flatMap((row) =>
        row.ordering_key === null ? [] : [{ destinationId: row.destination_id, orderingKey: row.ordering_key }],
      );
      await releaseGroups(tx, groups);
      return unique(refsOf(lined.rows));
    },

    /** After a discard: the discarded delivery's group goes again if nothing else holds it. */
    async releaseGroupOf(tx: Executor, deliveryId: string): Promise<DestinationRef[]> {
      const found = await tx.query<{ destination_id: string; ordering_key: string }>(
        'select destination_id, ordering_key from deliveries where id = $1 and ordering_key is not null',
        [deliveryId],
      );
      return releaseGroups(
        tx,
        found.rows.map((row) => ({ destinationId: row.destination_id, orderingKey: row.ordering_key })),
      );
    },

    /**
     * The destination no longer holds groups (a PATCH to "skip", or it stopped being FIFO): its
     * entries hold nothing and every held group goes again, its dead head left in the
     * dead-letter queue (a replay then goes behind what the group has pending, as with "skip").
     */
    async releaseDestination(tx: Executor, destinationId: string): Promise<DestinationRef[]> {
      await tx.query(
        `update dlq_entries set holds_group = false, updated_at = now()
         where destination_id = $1 and state = 'open' and holds_group`,
        [destinationId],
      );
      const held = await tx.query<{ ordering_key: string }>(
        'select ordering_key from fifo_groups where destination_id = $1 and held_at is not null',
        [destinationId],
      );
      return releaseGroups(
        tx,
        held.rows.map((row) => ({ destinationId, orderingKey: row.ordering_key })),
      );
    },

    /** For each dead delivery that holds its group: how many deliveries of the group wait behind it. */
    async waitingBehind(deliveryIds: string[]): Promise<Map<string, number>> {
      if (deliveryIds.length === 0) return new Map();
      const result = await ex.query<{ id: string; waiting: number }>(
        `select d.id, (select count(*)::int from delivery_queue q
                       where q.destination_id = d.destination_id and q.ordering_key = d.ordering_key) as waiting
         from deliveries d where d.id = any($1::uuid[])`,
        [deliveryIds],
      );
      return new Map(result.rows.map((row) => [row.id, row.waiting]));
    },

    /** Gauge for /metrics: held groups per destination (only destinations that have some). */
    async heldGroupsByDestination(): Promise<{ destinationId: string; type: string; groups: number }[]> {
      const result = await ex.query<{ destination_id: string; type: string; groups: number }>(
        `select g.destination_id, dst.type, count(*)::int as groups from fifo_groups g
         join destinations dst on dst.id = g.destination_id
         where g.held_at is not null group by g.destination_id, dst.type`,
      );
      return result.rows.map((row) => ({ destinationId: row.destination_id, type: row.type, groups: row.groups }));
    },
  };
}

export type FifoHolds = ReturnType<typeof createFifoHolds>;
