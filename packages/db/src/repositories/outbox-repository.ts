import type { DeliverableEvent } from '@sluice/contracts/events';
import type { Executor } from '../client.ts';
import { deliverableOf, EVENT_COLUMNS, type EventColumns } from '../event-view.ts';

/** An accepted event not fanned out yet, claimed by this transaction. */
export interface OutboxEvent {
  seq: number;
  bytes: number;
  receivedAt: Date;
  event: DeliverableEvent;
  /** The event's trace (traceparent), when it was accepted with tracing on. */
  traceContext: string | null;
}

/**
 * The outbox of accepted events (event_outbox): claimed by the fan-out a tenant at a time,
 * in accept order, in batches bounded by rows and bytes.
 */
export function createOutboxRepository() {
  return {
    /**
     * Locks the tenant's oldest events not fanned out (skipping ones another fan-out holds, and
     * ones waiting after a failure), at most `limit` and about `maxBytes` of them (at least one).
     * Call inside the transaction that fans them out and deletes their rows.
     */
    async claim(tx: Executor, tenantId: string, limit: number, maxBytes: number): Promise<OutboxEvent[]> {
      const result = await tx.query<EventColumns & { seq: string; bytes: number }>({
        name: 'outbox-claim',
        text: `with claimed as (
                 select seq, event_id, bytes from event_outbox
                 where tenant_id = $1 and (not_before is null or not_before <= now())
                 order by seq limit $2
                 for update skip locked
               ),
               sized as (select seq, event_id, bytes, sum(bytes) over (order by seq) - bytes as before from claimed)
               select s.seq, s.bytes, ${EVENT_COLUMNS}
               from sized s join events e on e.id = s.event_id
               where s.before < $3
               order by s.seq`,
        values: [tenantId, limit, maxBytes],
      });
      return result.rows.map((row) => ({
        seq: Number(row.seq),
        bytes: row.bytes,
        receivedAt: row.received_at,
        event: deliverableOf(row),
        traceContext: row.trace_context,
      }));
    },

    /**
     * Events whose fan-out failed on their own wait (exponential, up to an hour) while their
     * neighbours go on; they stay in the outbox, so nothing is lost.
     */
    async defer(ex: Executor, tenantId: string, seqs: number[], error: string): Promise<void> {
      if (seqs.length === 0) return;
      await ex.query(
        `update event_outbox set attempts = attempts + 1, last_error = $3,
           not_before = now() + make_interval(secs => least(3600, 5 * power(2, least(attempts, 12))))
         where tenant_id = $1 and seq = any($2::bigint[])`,
        [tenantId, seqs, error.slice(0, 1_000)],
      );
    },

    /** Tenants with events to fan out: a skip scan of the outbox's key, one probe per tenant. */
    async tenantsWithWork(ex: Executor): Promise<string[]> {
      const result = await ex.query<{ tenant_id: string }>(
        `with recursive t as (
           (select tenant_id from event_outbox order by tenant_id limit 1)
           union all
           select (select o.tenant_id from event_outbox o where o.tenant_id > t.tenant_id order by o.tenant_id limit 1)
           from t where t.tenant_id is not null
         )
         select tenant_id from t where tenant_id is not null`,
      );
      return result.rows.map((row) => row.tenant_id);
    },
  };
}

export type OutboxRepository = ReturnType<typeof createOutboxRepository>;
