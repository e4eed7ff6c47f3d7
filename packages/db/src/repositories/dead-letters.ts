import type { Executor } from '../client.ts';
import type { LastError } from '../schema/deliveries.ts';
import type { DlqReason } from '../schema/dlq.ts';
import { deadLetterStatsCte } from './delivery-stats-writer.ts';

/**
 * Moves a destination's deliveries that are in line but not in flight to the dead-letter
 * queue, a bounded batch at a time: a deleted destination's backlog (destination_deleted),
 * and the expired deliveries of one that cannot send (retries_exhausted). A delivery whose
 * claim is live (its queue row, or its FIFO group, leased) is left to its drain, which records
 * it delivered or failed: it ends one way, never both. A key with no group at all (a regroup cut
 * short by the DELETE) holds nothing back. Deliveries waiting behind a held group do not expire
 * (their window starts again when the group goes); a purge takes them. Answers how many it moved.
 */
export async function deadLetterInLine(
  ex: Executor,
  destinationId: string,
  options: { limit: number; reason: DlqReason; error: LastError; expiredOnly: boolean },
): Promise<number> {
  const result = await ex.query<{ moved: string }>({
    name: 'dead-letter-in-line',
    text: `with free_groups as (
             select ordering_key from fifo_groups
             where destination_id = $1 and (claim_id is null or due_at <= now())
               -- Waiting behind a held group uses no retry window: it never expires (a DELETE still purges it).
               and not ($5::boolean and held_at is not null)
             for update skip locked
           ),
           taken as (
             select q.delivery_id from delivery_queue q
             where q.destination_id = $1 and (q.claim_id is null or q.due_at <= now())
               and (not $5::boolean or q.expires_at <= now())
               and (q.ordering_key is null or q.ordering_key in (select ordering_key from free_groups)
                    or not exists (select 1 from fifo_groups g where g.destination_id = $1 and g.ordering_key = q.ordering_key))
             limit $2
             for update of q skip locked
           ),
           gone as (
             delete from delivery_queue q using taken
             where q.destination_id = $1 and q.delivery_id = taken.delivery_id
             returning q.delivery_id, q.ordering_key, q.order_seq
           ),
           advanced as (
             update fifo_groups g set done_seq = greatest(g.done_seq, last.seq)
             from (select ordering_key, max(order_seq) as seq from gone where ordering_key is not null group by ordering_key) last
             where g.destination_id = $1 and g.ordering_key = last.ordering_key
           ),
           dead as (
             update deliveries d set status = 'dead', last_error = $3::jsonb, updated_at = now()
             from gone where d.id = gone.delivery_id and d.status = 'pending'
             returning d.id, d.tenant_id, d.event_id, d.attempts
           ),
           entries as (
             insert into dlq_entries (id, tenant_id, delivery_id, event_id, destination_id, customer_external_id,
                                      event_type, reason, last_error, attempts)
             select gen_random_uuid(), dead.tenant_id, dead.id, dead.event_id, $1::uuid, e.customer_external_id,
                    e.event_type, $4, $3::jsonb, dead.attempts
             from dead join events e on e.id = dead.event_id
             on conflict (delivery_id) do update set
               state = 'open', reason = excluded.reason, last_error = excluded.last_error, attempts = excluded.attempts,
               replay_count = dlq_entries.replay_count + case when dlq_entries.state = 'replaying' then 1 else 0 end,
               updated_at = now()
             where dlq_entries.state in ('open', 'replaying')
           ),
           ${deadLetterStatsCte('dead', { tenant: '(select tenant_id from destinations where id = $1)', destination: '$1::uuid' })}
           select count(*) as moved from dead`,
    values: [destinationId, options.limit, JSON.stringify(options.error), options.reason, options.expiredOnly],
  });
  return Number(result.rows[0]?.moved ?? 0);
}

/** Whether any delivery of the destination is still in line (after a pass: only claims in flight). */
export async function hasDeliveriesInLine(ex: Executor, destinationId: string): Promise<boolean> {
  const result = await ex.query<{ found: boolean }>(
    'select exists (select 1 from delivery_queue where destination_id = $1) as found',
    [destinationId],
  );
  return result.rows[0]?.found ?? false;
}

/**
 * Groups of a destination that has nothing left in line (a deleted one, once drained). Its
 * dead heads hold no group any more: there is none left to hold.
 */
export async function dropEmptyGroups(ex: Executor, destinationId: string): Promise<void> {
  await ex.query(
    `update dlq_entries set holds_group = false, updated_at = now()
     where destination_id = $1 and state = 'open' and holds_group`,
    [destinationId],
  );
  await ex.query(
    `delete from fifo_groups g where g.destination_id = $1
       and not exists (select 1 from delivery_queue q where q.destination_id = $1 and q.ordering_key = g.ordering_key)
       and (g.claim_id is null or g.due_at <= now())`,
    [destinationId],
  );
}
