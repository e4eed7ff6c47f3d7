import type { Executor } from '../client.ts';
import { retryOnLockConflict } from '../conflict-retry.ts';
import type { LastError } from '../schema/deliveries.ts';
import type { DlqReason } from '../schema/dlq.ts';
import { latencyBoundsParam, outcomeStatsCtes } from './delivery-stats-writer.ts';

/**
 * What became of one attempt of one delivery, as the drain decided it: `claimId` is the claim
 * it answers for, `at` and `durationMs` the provider call's. The event facts feed the
 * dead-letter entry and the stats.
 */
export type RecordedOutcome = {
  deliveryId: string;
  claimId: string;
  attemptNo: number;
  at: Date;
  durationMs: number;
  orderingKey: string | null;
  orderSeq: number;
  /** The delivery was replayed from the dead-letter queue: its entry resolves once delivered. */
  replayed: boolean;
  event: { id: string; eventType: string; customerExternalId: string; receivedAt: string };
} & (
  | { kind: 'delivered'; providerMessageId?: string | undefined }
  | {
      kind: 'retry';
      error: LastError;
      nextAttemptAt: Date;
      /** Throttled: counted in `attempts` and the log, but not against the retry limits (retry_base moves too). */
      uncounted?: boolean;
    }
  | { kind: 'dead'; error: LastError; reason: DlqReason }
);

/**
 * Records a claim round's outcomes in one statement of data-modifying CTEs, whatever their
 * number: the queue (a finished delivery leaves it, a retried one gets its due time back),
 * the FIFO groups (the next turn comes due, the head waits out its backoff, or the group is held
 * behind its dead head when the destination's fifo.onDeadLetter is "hold"), the delivery
 * row (a HOT update), failed attempts, dead-letter entries, and the resolving of replayed
 * entries. Only outcomes whose claim still holds the delivery are recorded: a worker whose
 * lease ran out cannot overwrite what a later claim did. Answers the ids that were recorded.
 */
// Code-unit order, as `collate "C"` sorts in delivery-queue.ts (the same for all but rare characters).
const compareKeys = (a: string | null, b: string | null) =>
  (a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0;

export function createDeliveryOutcomes(ex: Executor) {
  return {
    async record(destination: { id: string; tenantId: string }, all: RecordedOutcome[]): Promise<Set<string>> {
      if (all.length === 0) return new Set();
      // Groups in ordering-key order, as the fan-out and replays lock them (no lock-order deadlock).
      const sorted = all.toSorted((a, b) => compareKeys(a.orderingKey, b.orderingKey));
      const column = <T>(pick: (o: RecordedOutcome) => T) => sorted.map(pick);
      const statement = {
        name: 'outcomes-record',
        text: `with v as (
                 select * from unnest($2::uuid[], $3::uuid[], $4::text[], $5::int[], $6::timestamptz[], $7::jsonb[],
                                      $8::text[], $9::timestamptz[], $10::int[], $11::text[], $12::bigint[], $13::text[],
                                      $14::boolean[], $15::uuid[], $16::text[], $17::text[], $19::timestamptz[],
                                      $21::boolean[])
                   as v(id, claim_id, kind, attempt_no, next_at, last_error, provider_message_id, at, duration_ms,
                        ordering_key, order_seq, reason, replayed, event_id, event_type, customer_external_id,
                        received_at, uncounted)
               ),
               standard_done as (
                 delete from delivery_queue q using v
                 where q.destination_id = $1 and q.delivery_id = v.id and q.claim_id = v.claim_id
                   and v.ordering_key is null and v.kind <> 'retry'
                 returning q.delivery_id as id
               ),
               standard_retried as (
                 update delivery_queue q set due_at = v.next_at, claim_id = null from v
                 where q.destination_id = $1 and q.delivery_id = v.id and q.claim_id = v.claim_id
                   and v.ordering_key is null and v.kind = 'retry'
                 returning q.delivery_id as id
               ),
               -- Read only when a FIFO head died (a one-time filter): the destination's dead-letter
               -- policy, FOR SHARE so a PATCH of it waits for this statement, or this one sees the PATCH.
               policy as (
                 select fifo_on_dead_letter = 'hold' as hold from destinations
                 where id = $1 and exists (select 1 from v where v.kind = 'dead' and v.ordering_key is not null)
                 for share
               ),
               groups as (
                 update fifo_groups g set
                   -- A held group is never due (see the schema): it waits for its dead head's replay or discard.
                   due_at = case when v.kind = 'retry' then v.next_at
                                 when v.kind = 'dead' and (select hold from policy) then 'infinity'
                                 else now() end,
                   held_at = case when v.kind = 'dead' and (select hold from policy) then now() else g.held_at end,
                   claim_id = null,
                   done_seq = case when v.kind = 'retry' then g.done_seq else greatest(g.done_seq, v.order_seq) end
                 from v
                 where g.destination_id = $1 and g.ordering_key = v.ordering_key and g.claim_id = v.claim_id
                 returning v.id
               ),
               fifo_done as (
                 delete from delivery_queue q using v join groups on groups.id = v.id
                 where q.destination_id = $1 and q.delivery_id = v.id and v.kind <> 'retry'
               ),
               kept as (select id from standard_done union all select id from standard_retried union all select id from groups),
               kept_v as (select v.* from v join kept on kept.id = v.id),
               changed as (
                 update deliveries d set
                   status = case kept_v.kind when 'retry' then 'pending' else kept_v.kind end,
                   attempts = kept_v.attempt_no,
                   retry_base = d.retry_base + case when kept_v.uncounted then 1 else 0 end,
                   last_error = coalesce(kept_v.last_error, d.last_error),
                   delivered_at = case when kept_v.kind = 'delivered' then now() else d.delivered_at end,
                   provider_message_id = coalesce(kept_v.provider_message_id, d.provider_message_id),
                   last_duration_ms = kept_v.duration_ms,
                   updated_at = now()
                 from kept_v where d.id = kept_v.id
               ),
               attempts as (
                 insert into delivery_attempts (delivery_id, n, at, duration_ms, outcome, error_code, error_message)
                 select id, attempt_no, at, duration_ms,
                        case kind when 'dead' then 'permanent_error' else 'transient_error' end,
                        last_error->>'code', last_error->>'message'
                 from kept_v where kind <> 'delivered'
                 on conflict do nothing
               ),
               resolved as (
                 update dlq_entries q set state = 'resolved', updated_at = now() from kept_v
                 where q.delivery_id = kept_v.id and kept_v.kind = 'delivered' and kept_v.replayed and q.state = 'replaying'
               ),
               dead as (
                 insert into dlq_entries (id, tenant_id, delivery_id, event_id, destination_id, customer_external_id,
                                          event_type, reason, last_error, attempts, holds_group)
                 select gen_random_uuid(), $18::uuid, id, event_id, $1::uuid, customer_external_id, event_type, reason,
                        last_error, attempt_no, ordering_key is not null and coalesce((select hold from policy), false)
                 from kept_v where kind = 'dead'
                 on conflict (delivery_id) do update set
                   state = 'open', reason = excluded.reason, last_error = excluded.last_error,
                   attempts = excluded.attempts, holds_group = excluded.holds_group,
                   replay_count = dlq_entries.replay_count + case when dlq_entries.state = 'replaying' then 1 else 0 end,
                   updated_at = now()
                 -- A resolved or discarded entry is history: nothing reopens it.
                 where dlq_entries.state in ('open', 'replaying')
               ),
               ${outcomeStatsCtes('kept_v', { tenant: '$18::uuid', destination: '$1::uuid', bounds: '$20::float8[]' })}
               select id from kept`,
        values: [
          destination.id,
          column((o) => o.deliveryId),
          column((o) => o.claimId),
          column((o) => o.kind),
          column((o) => o.attemptNo),
          column((o) => (o.kind === 'retry' ? o.nextAttemptAt : null)),
          column((o) => (o.kind === 'delivered' ? null : JSON.stringify(o.error))),
          column((o) => (o.kind === 'delivered' ? (o.providerMessageId ?? null) : null)),
          column((o) => o.at),
          column((o) => Math.round(o.durationMs)),
          column((o) => o.orderingKey),
          column((o) => o.orderSeq),
          column((o) => (o.kind === 'dead' ? o.reason : null)),
          column((o) => o.replayed),
          column((o) => o.event.id),
          column((o) => o.event.eventType),
          column((o) => o.event.customerExternalId),
          destination.tenantId,
          column((o) => o.event.receivedAt),
          latencyBoundsParam(),
          column((o) => o.kind === 'retry' && o.uncounted === true),
        ],
      };
      const result = await retryOnLockConflict(() => ex.query<{ id: string }>(statement));
      return new Set(result.rows.map((row) => row.id));
    },
  };
}

export type DeliveryOutcomes = ReturnType<typeof createDeliveryOutcomes>;
