import type { PoolClient } from 'pg';
import type { Database } from '../client.ts';
import { newId } from '../ids.ts';
import type { DlqReason, LastError } from '../schema.ts';
import { deadLetterStatsCte, latencyBoundsParam, outcomeStatsCtes } from './delivery-stats-writer.ts';

/** What became of one attempt of one delivery, as the drain decided it; `claimId` is the claim it answers for. */
export type RecordedOutcome = { deliveryId: string; claimId: string; attemptNo: number } & (
  | { kind: 'delivered'; providerMessageId?: string | undefined }
  | { kind: 'retry'; error: LastError; nextAttemptAt: Date }
  | { kind: 'dead'; error: LastError; reason: DlqReason }
);

export interface AttemptTiming {
  startedAt: Date;
  durationMs: number;
}

/**
 * Records a batch of outcomes in one transaction of a few statements, whatever the batch
 * size: delivery states, the attempt log, and dead-letter entries for the dead ones. A
 * dead delivery that was being replayed reopens its entry with replayCount + 1.
 *
 * Only outcomes whose claim still holds the delivery are recorded: if a worker's lease ran
 * out and another worker claimed the delivery again, the first worker's late outcome changes
 * nothing (it cannot mark dead what the second delivered, nor release a group head early).
 * Answers the ids that were recorded.
 */
export function createDeliveryOutcomes(db: Database) {
  const pool = db.$client;

  return {
    async record(all: RecordedOutcome[], timing: AttemptTiming): Promise<Set<string>> {
      if (all.length === 0) return new Set();
      // Most batches have no dead delivery: one statement, atomic by itself.
      if (!all.some((o) => o.kind === 'dead')) return recordStatement(pool, all, timing);
      const client = await pool.connect();
      try {
        await client.query('begin');
        const recorded = await recordStatement(client, all, timing);
        const dead = all.filter(
          (o): o is Extract<RecordedOutcome, { kind: 'dead' }> => o.kind === 'dead' && recorded.has(o.deliveryId),
        );
        await insertDeadLetters(client, dead);
        await client.query('commit');
        return recorded;
      } catch (error) {
        await client.query('rollback').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
  };
}

type Queryable = Pick<PoolClient, 'query'>;

/**
 * The outcomes as one statement of data-modifying CTEs (PostgreSQL runs them atomically):
 * delivery states, the attempt log and the resolving of replayed entries, for the rows whose
 * claim still holds them. One round trip per batch: five (begin, three statements, commit)
 * were the drain's largest cost after the send itself.
 */
async function recordStatement(client: Queryable, all: RecordedOutcome[], timing: AttemptTiming): Promise<Set<string>> {
  const changed = await client.query<{ id: string }>({
    name: 'delivery-outcomes-record',
    text: `with v as (
             select * from unnest($1::uuid[], $2::text[], $3::int[], $4::timestamptz[], $5::jsonb[], $6::text[],
                                  $7::uuid[], $8::uuid[], $9::text[], $10::text[], $11::text[])
               as v(id, status, attempt_no, next_attempt_at, last_error, provider_message_id, claim_id,
                    attempt_id, outcome, error_code, error_message)
           ),
           changed as (
             update deliveries d set
               status = v.status,
               attempts = v.attempt_no,
               next_attempt_at = coalesce(v.next_attempt_at, d.next_attempt_at),
               last_error = coalesce(v.last_error, d.last_error),
               delivered_at = case when v.status = 'delivered' then now() else d.delivered_at end,
               provider_message_id = coalesce(v.provider_message_id, d.provider_message_id),
               updated_at = now()
             from v
             where d.id = v.id and d.status = 'pending' and d.claim_id = v.claim_id
             returning d.id, d.tenant_id, d.destination_id, d.event_id, d.status
           ),
           ${outcomeStatsCtes('changed', '$14::float8[]')},
           attempts as (
             insert into delivery_attempts (id, delivery_id, n, at, duration_ms, outcome, error_code, error_message,
                                            provider_message_id)
             select v.attempt_id, v.id, v.attempt_no, $12::timestamptz, $13::int, v.outcome, v.error_code,
                    v.error_message, v.provider_message_id
             from v join changed on changed.id = v.id
           ),
           -- A replayed delivery that got through leaves the dead-letter list.
           resolved as (
             update dlq_entries q set state = 'resolved', updated_at = now()
             from v join changed on changed.id = v.id
             where q.delivery_id = v.id and v.status = 'delivered' and q.state = 'replaying'
           )
           select id from changed`,
    values: [
      all.map((o) => o.deliveryId),
      all.map((o) => (o.kind === 'delivered' ? 'delivered' : o.kind === 'retry' ? 'pending' : 'dead')),
      all.map((o) => o.attemptNo),
      all.map((o) => (o.kind === 'retry' ? o.nextAttemptAt : null)),
      all.map((o) => (o.kind === 'delivered' ? null : JSON.stringify(o.error))),
      all.map((o) => (o.kind === 'delivered' ? (o.providerMessageId ?? null) : null)),
      all.map((o) => o.claimId),
      all.map(() => newId()),
      all.map((o) =>
        o.kind === 'delivered' ? 'delivered' : o.kind === 'retry' ? 'transient_error' : 'permanent_error',
      ),
      all.map((o) => (o.kind === 'delivered' ? null : o.error.code)),
      all.map((o) => (o.kind === 'delivered' ? null : o.error.message)),
      timing.startedAt,
      Math.round(timing.durationMs),
      latencyBoundsParam(),
    ],
  });
  return new Set(changed.rows.map((row) => row.id));
}

/** Dead deliveries become (or reopen) their dead-letter entry; used by the drain and by deletes. */
export async function insertDeadLetters(
  client: Queryable,
  dead: { deliveryId: string; error: LastError | null; reason: DlqReason }[],
): Promise<void> {
  if (dead.length === 0) return;
  await client.query(
    `with written as (
     insert into dlq_entries (id, tenant_id, delivery_id, event_id, destination_id, customer_external_id, event_type,
                              reason, last_error, attempts)
     select v.entry_id, d.tenant_id, d.id, d.event_id, d.destination_id, e.customer_external_id, e.event_type,
            v.reason, v.last_error, d.attempts
     from unnest($1::uuid[], $2::uuid[], $3::text[], $4::jsonb[]) as v(entry_id, delivery_id, reason, last_error)
     join deliveries d on d.id = v.delivery_id
     join events e on e.id = d.event_id
     on conflict (delivery_id) do update set
       state = 'open',
       reason = excluded.reason,
       last_error = excluded.last_error,
       attempts = excluded.attempts,
       replay_count = dlq_entries.replay_count + case when dlq_entries.state = 'replaying' then 1 else 0 end,
       updated_at = now()
     -- A resolved or discarded entry is history: nothing reopens it.
     where dlq_entries.state in ('open', 'replaying')
     returning tenant_id, destination_id
     ), ${deadLetterStatsCte('written')}
     select 1`,
    [
      dead.map(() => newId()),
      dead.map((d) => d.deliveryId),
      dead.map((d) => d.reason),
      dead.map((d) => (d.error ? JSON.stringify(d.error) : null)),
    ],
  );
}

export type DeliveryOutcomes = ReturnType<typeof createDeliveryOutcomes>;
