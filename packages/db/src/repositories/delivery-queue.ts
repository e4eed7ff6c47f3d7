import type { Executor } from '../client.ts';

/**
 * Putting deliveries in line: the fan-out's new deliveries and the dead ones a replay sends
 * again. A delivery in line has a delivery_queue row; on a FIFO destination its group has a
 * fifo_groups row whose tail_seq covers its turn (see the schema for why that matters).
 */

export interface PlannedDelivery {
  id: string;
  eventId: string;
  destinationId: string;
  orderingKey: string | null;
  orderSeq: number;
  expiresAt: Date;
  bytes: number;
}

// Every statement that puts deliveries in line (`lined`) ends the same way: a queue row per
// delivery, and each FIFO group's tail raised. A held group stays held (fifo-holds.ts).
export const QUEUE_AND_GROUPS = `
  queued as (
    insert into delivery_queue (destination_id, delivery_id, tenant_id, ordering_key, order_seq, bytes, expires_at)
    select destination_id, id, tenant_id, ordering_key, order_seq, bytes, expires_at from lined
    on conflict do nothing
  ),
  grouped as (
    insert into fifo_groups (destination_id, ordering_key, tenant_id, tail_seq)
    select destination_id, ordering_key, tenant_id, max(order_seq) from lined
    where ordering_key is not null group by destination_id, ordering_key, tenant_id
    -- One lock order for groups everywhere (outcomes sort the same way): no deadlocks between them.
    order by destination_id, ordering_key collate "C"
    on conflict (destination_id, ordering_key) do update set tail_seq = greatest(fifo_groups.tail_seq, excluded.tail_seq)
  )`;

export function createDeliveryQueue() {
  return {
    /**
     * The fan-out's write, in one statement: the deliveries, their queue rows and groups, and
     * the outbox rows of the events they came from. Answers how many deliveries were created.
     */
    async enqueueFanOut(tx: Executor, tenantId: string, planned: PlannedDelivery[], seqs: number[]): Promise<number> {
      const column = <T>(pick: (p: PlannedDelivery) => T) => planned.map(pick);
      const result = await tx.query<{ created: string }>({
        name: 'queue-enqueue-fan-out',
        text: `with created as (
                 insert into deliveries (id, tenant_id, event_id, destination_id, ordering_key, order_seq, expires_at)
                 select v.id, $1::uuid, v.event_id, v.destination_id, v.ordering_key, v.order_seq, v.expires_at
                 from unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::bigint[], $7::timestamptz[])
                   as v(id, event_id, destination_id, ordering_key, order_seq, expires_at)
                 on conflict (event_id, destination_id) do nothing
                 returning id, tenant_id, destination_id, ordering_key, order_seq, expires_at
               ),
               lined as (
                 select c.*, b.bytes from created c join unnest($2::uuid[], $8::int[]) as b(id, bytes) on b.id = c.id
               ),
               ${QUEUE_AND_GROUPS},
               fanned_out as (delete from event_outbox where tenant_id = $1 and seq = any($9::bigint[]))
               select count(*) as created from created`,
        values: [
          tenantId,
          column((p) => p.id),
          column((p) => p.eventId),
          column((p) => p.destinationId),
          column((p) => p.orderingKey),
          column((p) => p.orderSeq),
          column((p) => p.expiresAt),
          column((p) => p.bytes),
          seqs,
        ],
      });
      return Number(result.rows[0]?.created ?? 0);
    },

    /**
     * Dead deliveries back in line (a replay): pending again with a new turn at the back of
     * their FIFO group (groups keep their relative order; a dead delivery that holds its group
     * goes back at its own turn instead, see fifo-holds.ts), a fresh round of retries counted
     * from here, and the same event, so the same MessageDeduplicationId. Call with deliveries
     * the caller has locked and found dead. Answers the destinations to wake.
     */
    async requeueDead(tx: Executor, deliveryIds: string[]): Promise<{ tenantId: string; destinationId: string }[]> {
      if (deliveryIds.length === 0) return [];
      const result = await tx.query<{ tenant_id: string; destination_id: string }>({
        name: 'queue-requeue-dead',
        text: `with turn as (
                 select id, nextval('accept_order') as seq
                 from (select id from deliveries where id = any($1::uuid[]) order by order_seq) ordered
               ),
               lined as (
                 update deliveries d set
                   status = 'pending', retry_base = d.attempts, updated_at = now(), order_seq = turn.seq,
                   expires_at = now() + make_interval(secs => coalesce(dst.retry_max_age_seconds, 86400))
                 from turn, destinations dst, events e
                 where d.id = turn.id and dst.id = d.destination_id and e.id = d.event_id
                 returning d.id, d.tenant_id, d.destination_id, d.ordering_key, d.order_seq, d.expires_at, e.bytes
               ),
               ${QUEUE_AND_GROUPS}
               select distinct tenant_id, destination_id from lined`,
        values: [deliveryIds],
      });
      return result.rows.map((row) => ({ tenantId: row.tenant_id, destinationId: row.destination_id }));
    },
  };
}

export type DeliveryQueue = ReturnType<typeof createDeliveryQueue>;
