import type { DeliverableEvent } from '@sluice/contracts/events';
import type { Executor } from '../client.ts';
import { deliverableOf, EVENT_COLUMNS, type EventColumns } from '../event-view.ts';

/**
 * Giving a destination's pending deliveries the FIFO groups of its new config (a new
 * messageGroupIdField, or a queue that became FIFO). The claim groups by ordering_key while
 * the adapter sends with the new MessageGroupId: left stale, two messages of one new group
 * could be in flight at once, or leave out of order. Runs while the destination is marked
 * regrouping (nothing is claimed) and once no claim of it is live; safe to run again from
 * the start after a crash, since every key is recomputed from the config.
 */
export function createRegroup(ex: Executor) {
  return {
    /** True while a claim of the destination may still be in flight. */
    async hasLiveClaims(destinationId: string): Promise<boolean> {
      const result = await ex.query<{ live: boolean }>(
        `select exists (select 1 from delivery_queue where destination_id = $1 and claim_id is not null and due_at > now())
             or exists (select 1 from fifo_groups where destination_id = $1 and claim_id is not null and due_at > now())
           as live`,
        [destinationId],
      );
      return result.rows[0]?.live ?? false;
    },

    /**
     * One page of pending deliveries after `after` (by id), with new keys; answers the last id,
     * or null at the end. A page holds at most `page.rows` deliveries and about `page.bytes` of
     * their events (at least one), so a backlog of large events is read a few at a time.
     */
    async rekeyPage(
      destinationId: string,
      orderingKey: (event: DeliverableEvent) => string | null,
      after: string,
      page: { rows: number; bytes: number },
    ): Promise<string | null> {
      const read = await ex.query<EventColumns & { delivery_id: string }>(
        `with next as (
           select delivery_id, bytes from delivery_queue
           where destination_id = $1 and delivery_id > $2
           order by delivery_id limit $3
         ),
         sized as (select delivery_id, sum(bytes) over (order by delivery_id) - bytes as before from next)
         select s.delivery_id, ${EVENT_COLUMNS}
         from sized s join deliveries d on d.id = s.delivery_id join events e on e.id = d.event_id
         where s.before < $4
         order by s.delivery_id`,
        [destinationId, after, page.rows, page.bytes],
      );
      if (read.rows.length === 0) return null;
      const ids = read.rows.map((row) => row.delivery_id);
      const keys = read.rows.map((row) => orderingKey(deliverableOf(row)));
      await ex.query(
        `with v as (select * from unnest($2::uuid[], $3::text[]) as v(id, key)),
         queue as (
           update delivery_queue q set ordering_key = v.key, due_at = least(q.due_at, now()), claim_id = null
           from v where q.destination_id = $1 and q.delivery_id = v.id
         )
         update deliveries d set ordering_key = v.key, updated_at = now() from v where d.id = v.id`,
        [destinationId, ids, keys],
      );
      return ids.at(-1) ?? null;
    },

    /**
     * One page of the dead deliveries that hold their group (fifo.onDeadLetter "hold"), with new
     * keys like the pending ones, so the rebuilt groups are held where their dead heads now fall.
     * One whose key is now null (the destination is no longer FIFO) holds nothing any more.
     */
    async rekeyHoldingPage(
      destinationId: string,
      orderingKey: (event: DeliverableEvent) => string | null,
      after: string,
      pageSize: number,
    ): Promise<string | null> {
      const page = await ex.query<EventColumns & { delivery_id: string }>(
        `select d.id as delivery_id, ${EVENT_COLUMNS}
         from dlq_entries q join deliveries d on d.id = q.delivery_id join events e on e.id = d.event_id
         where q.destination_id = $1 and q.state = 'open' and q.holds_group and d.id > $2
         order by d.id limit $3`,
        [destinationId, after, pageSize],
      );
      if (page.rows.length === 0) return null;
      const ids = page.rows.map((row) => row.delivery_id);
      const keys = page.rows.map((row) => orderingKey(deliverableOf(row)));
      await ex.query(
        `with v as (select * from unnest($1::uuid[], $2::text[]) as v(id, key)),
         unheld as (update dlq_entries q set holds_group = false from v where q.delivery_id = v.id and v.key is null)
         update deliveries d set ordering_key = v.key, updated_at = now() from v where d.id = v.id`,
        [ids, keys],
      );
      return ids.at(-1) ?? null;
    },

    /**
     * The destination's FIFO groups, rebuilt from what is in line (after every page is rekeyed),
     * then held where a dead head holds them: a held group with nothing in line has its tail
     * done, so once it goes again it is removed like any emptied group.
     */
    async rebuildGroups(destinationId: string): Promise<void> {
      await ex.query('delete from fifo_groups where destination_id = $1', [destinationId]);
      // A fan-out committing meanwhile may have made a group already: its tail is kept if higher.
      await ex.query(
        `insert into fifo_groups (destination_id, ordering_key, tenant_id, tail_seq)
         select destination_id, ordering_key, tenant_id, max(order_seq) from delivery_queue
         where destination_id = $1 and ordering_key is not null
         group by destination_id, ordering_key, tenant_id
         on conflict (destination_id, ordering_key) do update set tail_seq = greatest(fifo_groups.tail_seq, excluded.tail_seq)`,
        [destinationId],
      );
      await ex.query(
        `insert into fifo_groups (destination_id, ordering_key, tenant_id, tail_seq, done_seq, held_at, due_at)
         select q.destination_id, d.ordering_key, q.tenant_id, max(d.order_seq), max(d.order_seq), now(), 'infinity'
         from dlq_entries q join deliveries d on d.id = q.delivery_id
         where q.destination_id = $1 and q.state = 'open' and q.holds_group and d.ordering_key is not null
         group by q.destination_id, d.ordering_key, q.tenant_id
         on conflict (destination_id, ordering_key) do update set held_at = now(), due_at = 'infinity'`,
        [destinationId],
      );
    },
  };
}

export type Regroup = ReturnType<typeof createRegroup>;
