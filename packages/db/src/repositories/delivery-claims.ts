import type { EventMetadata } from '@sluice/contracts/events';
import { sql } from 'drizzle-orm';
import type { Database } from '../client.ts';
import type { EventRow, LastError } from '../schema.ts';

/**
 * Claiming due deliveries of one destination. A claim moves next_attempt_at forward by
 * the lease, so claimed rows are not due while in flight and come due again if the worker
 * dies before recording an outcome.
 */
export interface ClaimedDelivery {
  id: string;
  /** The token of this claim; its outcome is recorded only while the delivery still carries it. */
  claimId: string;
  attempts: number;
  retryBase: number;
  expiresAt: Date;
  orderingKey: string | null;
  event: EventRow;
}

const claimedColumns = sql`
  d.id, d.claim_id, d.attempts, d.retry_base, d.expires_at, d.ordering_key,
  e.id as event_id, e.tenant_id, e.seq, e.idempotency_key, e.request_hash, e.event_type, e.occurred_at, e.source,
  e.customer_external_id, e.correlation_id, e.payload, e.metadata, e.received_at, e.fanned_out_at`;

interface ClaimedRow extends Record<string, unknown> {
  id: string;
  claim_id: string;
  attempts: number;
  retry_base: number;
  expires_at: Date;
  ordering_key: string | null;
  event_id: string;
  tenant_id: string;
  seq: string;
  idempotency_key: string;
  request_hash: string;
  event_type: string;
  occurred_at: Date;
  source: string;
  customer_external_id: string;
  correlation_id: string | null;
  payload: Record<string, unknown>;
  metadata: EventMetadata | null;
  received_at: Date;
  fanned_out_at: Date | null;
}

const toClaimed = (row: ClaimedRow): ClaimedDelivery => ({
  id: row.id,
  claimId: row.claim_id,
  attempts: row.attempts,
  retryBase: row.retry_base,
  expiresAt: new Date(row.expires_at),
  orderingKey: row.ordering_key,
  event: {
    id: row.event_id,
    tenantId: row.tenant_id,
    seq: Number(row.seq),
    idempotencyKey: row.idempotency_key,
    requestHash: row.request_hash,
    eventType: row.event_type,
    occurredAt: new Date(row.occurred_at),
    source: row.source,
    customerExternalId: row.customer_external_id,
    correlationId: row.correlation_id,
    payload: row.payload,
    metadata: row.metadata,
    receivedAt: new Date(row.received_at),
    fannedOutAt: row.fanned_out_at ? new Date(row.fanned_out_at) : null,
  },
});

export function createDeliveryClaims(db: Database) {
  return {
    /** Standard destinations: any due deliveries, oldest due first; concurrent claimers skip each other's rows. */
    async claimDue(destinationId: string, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
      const result = await db.execute<ClaimedRow>(sql`
        with claimed as (
          select id from deliveries
          where destination_id = ${destinationId} and status = 'pending' and next_attempt_at <= now()
          order by next_attempt_at
          limit ${limit}
          for update skip locked
        )
        update deliveries d
        set next_attempt_at = now() + make_interval(secs => ${leaseMs / 1000}), claim_id = gen_random_uuid(), updated_at = now()
        from claimed, events e
        where d.id = claimed.id and e.id = d.event_id
        returning ${claimedColumns}`);
      return result.rows.map(toClaimed);
    },

    /**
     * FIFO destinations: only the head (lowest order_seq) of each message group, and only
     * when that head is due, so message n+1 of a group never leaves before message n is
     * delivered or dead. Heads whose event is newer than the customer's oldest event not yet
     * fanned out are held back too: that older event may still add a delivery ahead of them.
     */
    async claimGroupHeads(
      destination: { id: string; tenantId: string; customerExternalId: string },
      limit: number,
      leaseMs: number,
    ): Promise<ClaimedDelivery[]> {
      const result = await db.execute<ClaimedRow>(sql`
        with watermark as (
          select coalesce(min(seq), 9223372036854775807) as seq from events
          where tenant_id = ${destination.tenantId} and customer_external_id = ${destination.customerExternalId}
            and fanned_out_at is null
        ),
        heads as (
          select distinct on (ordering_key) id, next_attempt_at, order_seq from deliveries
          where destination_id = ${destination.id} and status = 'pending'
          order by ordering_key, order_seq
        ),
        claimed as (
          select d.id from deliveries d
          join heads h on h.id = d.id
          where h.next_attempt_at <= now() and h.order_seq < (select seq from watermark)
          order by h.order_seq
          limit ${limit}
          for update of d skip locked
        )
        update deliveries d
        set next_attempt_at = now() + make_interval(secs => ${leaseMs / 1000}), claim_id = gen_random_uuid(), updated_at = now()
        from claimed, events e
        where d.id = claimed.id and e.id = d.event_id and d.status = 'pending' and d.next_attempt_at <= now()
        returning ${claimedColumns}`);
      return result.rows.map(toClaimed);
    },

    /**
     * Hands claimed deliveries back, due at `at`, without counting an attempt: for work a drain
     * claimed but will not send (a destination it cannot use now, a lease too short to finish).
     * Only while the claim still holds them.
     */
    async release(claimed: ClaimedDelivery[], at: Date, lastError?: LastError): Promise<void> {
      if (claimed.length === 0) return;
      await db.$client.query(
        `update deliveries d set next_attempt_at = $3, last_error = coalesce($4::jsonb, d.last_error), updated_at = now()
         from unnest($1::uuid[], $2::uuid[]) as v(id, claim_id)
         where d.id = v.id and d.claim_id = v.claim_id and d.status = 'pending'`,
        [claimed.map((c) => c.id), claimed.map((c) => c.claimId), at, lastError ? JSON.stringify(lastError) : null],
      );
    },
  };
}

export type DeliveryClaims = ReturnType<typeof createDeliveryClaims>;
