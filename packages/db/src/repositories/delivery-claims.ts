import { randomUUID } from 'node:crypto';
import type { DeliverableEvent } from '@sluice/contracts/events';
import type { Executor } from '../client.ts';
import { deliverableOf, EVENT_COLUMNS, type EventColumns } from '../event-view.ts';
import type { LastError } from '../schema/deliveries.ts';

/**
 * Claiming one destination's due deliveries. A claim stamps its claim id and moves the due
 * time forward by the lease (on the queue row of a standard destination, on the group of a
 * FIFO one), so claimed work is not due while in flight and comes due again if the worker
 * dies before recording an outcome. Each claim is bounded by rows and by bytes.
 */
export interface ClaimedDelivery {
  id: string;
  /** The token of this claim; its outcome is recorded only while the delivery still carries it. */
  claimId: string;
  attempts: number;
  retryBase: number;
  expiresAt: Date;
  orderingKey: string | null;
  orderSeq: number;
  event: DeliverableEvent;
  /** The event's trace (traceparent), when it was accepted with tracing on: its send continues it. */
  traceContext: string | null;
}

export interface ClaimLimits {
  rows: number;
  bytes: number;
  leaseMs: number;
}

/** The destination as the drain read it: `updatedAt` is its version. */
export interface ClaimTarget {
  id: string;
  updatedAt: Date;
}

/**
 * Every claim first takes the destination's row FOR SHARE, as it was when the drain read it
 * (same version, hence not paused, disabled, deleted or regrouping since): a PATCH, pause or
 * DELETE committing meanwhile makes the claim take nothing, and one that comes later waits for
 * the claim's commit, which the regroup's check for live claims then sees. So no claim reads a
 * half-regrouped backlog, and a drain started before a DELETE or PATCH stops at its next claim.
 * One short statement holds the lock, never a transaction.
 */
const unchangedSince = (versionParam: string) => `unchanged as (
                 select 1 from destinations
                 where id = $1 and date_trunc('milliseconds', updated_at) = ${versionParam} and regrouping_at is null
                 for share
               )`;

interface ClaimedRow extends EventColumns {
  id: string;
  attempts: number;
  retry_base: number;
  expires_at: Date;
  ordering_key: string | null;
  order_seq: string;
}

const DELIVERY_COLUMNS = `d.id, d.attempts, d.retry_base, d.expires_at, d.ordering_key, d.order_seq, ${EVENT_COLUMNS}`;

const toClaimed =
  (claimId: string) =>
  (row: ClaimedRow): ClaimedDelivery => ({
    id: row.id,
    claimId,
    attempts: row.attempts,
    retryBase: row.retry_base,
    expiresAt: row.expires_at,
    orderingKey: row.ordering_key,
    orderSeq: Number(row.order_seq),
    event: deliverableOf(row),
    traceContext: row.trace_context,
  });

export function createDeliveryClaims(ex: Executor) {
  return {
    /** Standard destinations: any due deliveries, oldest due first; concurrent claimers skip each other's rows. */
    async claimDue(destination: ClaimTarget, limits: ClaimLimits): Promise<ClaimedDelivery[]> {
      const claimId = randomUUID();
      const result = await ex.query<ClaimedRow>({
        name: 'claims-due',
        text: `with ${unchangedSince('$6')},
               candidates as (
                 select delivery_id, due_at, bytes from delivery_queue
                 where destination_id = $1 and ordering_key is null and due_at <= now()
                   and exists (select 1 from unchanged)
                 order by due_at limit $2
                 for update skip locked
               ),
               sized as (
                 select delivery_id, sum(bytes) over (order by due_at, delivery_id) - bytes as before from candidates
               ),
               claimed as (
                 update delivery_queue q set due_at = now() + make_interval(secs => $3), claim_id = $4
                 from sized s where q.destination_id = $1 and q.delivery_id = s.delivery_id and s.before < $5
                 returning q.delivery_id
               )
               select ${DELIVERY_COLUMNS}
               from claimed c join deliveries d on d.id = c.delivery_id join events e on e.id = d.event_id`,
        values: [destination.id, limits.rows, limits.leaseMs / 1000, claimId, limits.bytes, destination.updatedAt],
      });
      return result.rows.map(toClaimed(claimId));
    },

    /**
     * FIFO destinations: the head (lowest turn) of each due group, so message n+1 of a group
     * never leaves before message n is delivered or dead. Heads newer than the customer's oldest
     * event not yet fanned out are held back (the watermark): that event may still add a
     * delivery ahead of them. A due group with nothing in line is removed, unless a turn was
     * enqueued after it (tail_seq past done_seq): then it stays for the next claim to see.
     */
    async claimGroupHeads(
      destination: ClaimTarget & { tenantId: string; customerExternalId: string },
      limits: ClaimLimits,
    ): Promise<ClaimedDelivery[]> {
      const claimId = randomUUID();
      const result = await ex.query<ClaimedRow>({
        name: 'claims-group-heads',
        text: `with ${unchangedSince('$8')},
               watermark as (
                 select coalesce(min(seq), 9223372036854775807) as seq from event_outbox
                 where tenant_id = $2 and customer_external_id = $3
               ),
               due as (
                 select ordering_key from fifo_groups
                 where destination_id = $1 and due_at <= now() and exists (select 1 from unchanged)
                 order by due_at limit $4
                 for update skip locked
               ),
               heads as (
                 select due.ordering_key, h.delivery_id, h.order_seq, h.bytes from due
                 left join lateral (
                   select delivery_id, order_seq, bytes from delivery_queue q
                   where q.destination_id = $1 and q.ordering_key = due.ordering_key
                   order by q.order_seq limit 1
                 ) h on true
               ),
               emptied as (
                 delete from fifo_groups g using heads
                 where g.destination_id = $1 and g.ordering_key = heads.ordering_key and heads.delivery_id is null
                   and g.tail_seq <= g.done_seq
               ),
               sized as (
                 select ordering_key, delivery_id, sum(bytes) over (order by order_seq) - bytes as before from heads
                 where delivery_id is not null and order_seq < (select seq from watermark)
               ),
               leased as (
                 update fifo_groups g set due_at = now() + make_interval(secs => $5), claim_id = $6
                 from sized s where g.destination_id = $1 and g.ordering_key = s.ordering_key and s.before < $7
                 returning s.delivery_id
               )
               select ${DELIVERY_COLUMNS}
               from leased l join deliveries d on d.id = l.delivery_id join events e on e.id = d.event_id`,
        values: [
          destination.id,
          destination.tenantId,
          destination.customerExternalId,
          limits.rows,
          limits.leaseMs / 1000,
          claimId,
          limits.bytes,
          destination.updatedAt,
        ],
      });
      return result.rows.map(toClaimed(claimId));
    },

    /**
     * Hands claimed deliveries back, due at `at`, without counting an attempt: for work a drain
     * claimed but will not send (a destination it cannot use now, a lease too short to finish).
     * Only while the claim still holds them.
     */
    async release(destinationId: string, claimed: ClaimedDelivery[], at: Date, lastError?: LastError): Promise<void> {
      if (claimed.length === 0) return;
      await ex.query({
        name: 'claims-release',
        text: `with v as (select * from unnest($2::uuid[], $3::text[], $4::uuid[]) as v(id, ordering_key, claim_id)),
               standard as (
                 update delivery_queue q set due_at = $5, claim_id = null from v
                 where q.destination_id = $1 and q.delivery_id = v.id and q.claim_id = v.claim_id
               ),
               fifo as (
                 update fifo_groups g set due_at = $5, claim_id = null from v
                 where g.destination_id = $1 and g.ordering_key = v.ordering_key and g.claim_id = v.claim_id
               )
               update deliveries d set last_error = $6::jsonb, updated_at = now()
               from v where $6::jsonb is not null and d.id = v.id and d.status = 'pending'`,
        values: [
          destinationId,
          claimed.map((c) => c.id),
          claimed.map((c) => c.orderingKey),
          claimed.map((c) => c.claimId),
          at,
          lastError ? JSON.stringify(lastError) : null,
        ],
      });
    },
  };
}

export type DeliveryClaims = ReturnType<typeof createDeliveryClaims>;
