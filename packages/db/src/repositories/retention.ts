import type pg from 'pg';
import type { Executor } from '../client.ts';

/**
 * Retention (API.md): an event received before the cutoff whose deliveries are all delivered or
 * discarded goes, with everything that hangs off it; its idempotency key is free again. An event
 * still in the outbox (not fanned out yet) or with a pending or dead delivery stays: delivered
 * and discarded are final states, so an event that qualifies never stops qualifying, and one
 * that does not is left alone whatever happens to it meanwhile.
 *
 * These are maintenance queries across tenants (like the inspection pass): they name no tenant.
 * Each call is one statement, so one short transaction, bounded by `batchSize` events.
 */

export interface PurgeBatch {
  /** Events deleted (with their deliveries, attempt logs and dead-letter entries). */
  events: number;
  /** The newest received_at among them: where the next batch of the same pass starts. */
  reachedReceivedAt: Date | null;
}

export interface PurgeRequest {
  /** Events received before this may go. */
  olderThan: Date;
  batchSize: number;
  /**
   * Where this pass has got to (the previous batch's reachedReceivedAt). Events that must stay
   * (a dead delivery) gather at the old end; without a cursor every batch would read them again.
   */
  from?: Date | null;
}

// Candidates oldest first from events_received_at_idx. FOR UPDATE SKIP LOCKED: a row someone
// else holds (another purge) is passed over, never waited for. Each event's deliveries are found
// through deliveries_event_destination_key and its outbox row through the outbox's primary key.
// Every table that hangs off the event goes in the same statement (foreign keys are checked at
// its end): failed attempts, dead-letter entries of deliveries that were replayed or discarded,
// those entries' bulk-replay items, and (never expected for a finished delivery) queue rows.
const PURGE_EVENTS = `
  with candidates as (
    select e.id from events e
    where e.received_at < $1 and e.received_at >= $2
      -- A scalar subquery, not NOT EXISTS: the planner cannot turn it into an anti-join, which on a
      -- large history it may plan as one scan of every delivery (pending and dead rows are rare,
      -- so it estimates the scan as cheap); this way each candidate is one index probe.
      and (select count(*) from deliveries d where d.event_id = e.id and d.status in ('pending', 'dead')) = 0
      and not exists (select 1 from event_outbox o where o.tenant_id = e.tenant_id and o.seq = e.seq)
    order by e.received_at
    limit $3
    for update of e skip locked
  ),
  gone_deliveries as (
    delete from deliveries d using candidates c where d.event_id = c.id returning d.id, d.destination_id
  ),
  gone_attempts as (
    delete from delivery_attempts a using gone_deliveries g where a.delivery_id = g.id
  ),
  gone_entries as (
    delete from dlq_entries x using gone_deliveries g where x.delivery_id = g.id returning x.id
  ),
  gone_items as (
    delete from dlq_replay_items i using gone_entries g where i.entry_id = g.id
  ),
  gone_queue as (
    delete from delivery_queue q using gone_deliveries g where q.destination_id = g.destination_id and q.delivery_id = g.id
  ),
  gone_events as (
    delete from events e using candidates c where e.id = c.id returning e.received_at
  )
  select count(*)::int as events, max(received_at) as reached from gone_events`;

const EPOCH = new Date(0);

export function createRetention(ex: Executor) {
  return {
    /** Deletes one bounded batch of events past retention; fewer than batchSize means none are left. */
    async purgeOnce(request: PurgeRequest): Promise<PurgeBatch> {
      const result = await ex.query<{ events: number; reached: Date | null }>(PURGE_EVENTS, [
        request.olderThan,
        request.from ?? EPOCH,
        request.batchSize,
      ]);
      const row = result.rows[0];
      return { events: row?.events ?? 0, reachedReceivedAt: row?.reached ?? null };
    },

    /**
     * Audit rows older than the cutoff (dlq_audit: who replayed or discarded what), one bounded
     * batch; with them, bulk replays that finished before it and their item lists.
     */
    async purgeAuditOnce(request: { olderThan: Date; batchSize: number }): Promise<number> {
      const audit = await ex.query(
        `with doomed as (
           select id from dlq_audit where at < $1 order by at limit $2 for update skip locked
         )
         delete from dlq_audit a using doomed where a.id = doomed.id`,
        [request.olderThan, request.batchSize],
      );
      const replays = await ex.query(
        `with doomed as (
           select id from dlq_replays where status = 'done' and finished_at < $1 limit $2 for update skip locked
         ),
         gone_items as (delete from dlq_replay_items i using doomed where i.replay_id = doomed.id)
         delete from dlq_replays r using doomed where r.id = doomed.id`,
        [request.olderThan, 10],
      );
      return (audit.rowCount ?? 0) + (replays.rowCount ?? 0);
    },
  };
}

export type Retention = ReturnType<typeof createRetention>;

// The advisory lock that makes one process at a time run the retention pass (any value no
// other lock of Sluice uses: see migrate.ts and destination-quotas.ts).
const RETENTION_LOCK_ID = 5_170_224_617;

/**
 * Runs `work` while holding the retention lock, on a connection of its own for the pass (a
 * session lock: a worker that dies mid-pass drops it with its connection). Another worker's pass
 * already running: answers undefined at once, without waiting. Batches still run on the pool:
 * the lock only keeps two workers from doubling the purge's load; SKIP LOCKED would keep them
 * from deleting anything twice anyway.
 */
export async function whileHoldingRetentionLock<T>(pool: pg.Pool, work: () => Promise<T>): Promise<T | undefined> {
  const client = await pool.connect();
  // A connection whose lock or unlock failed is closed, not handed back: closing drops the lock.
  let broken: Error | undefined;
  const onLockConnection = async (statement: string) => {
    try {
      return await client.query<{ held: boolean }>(statement, [RETENTION_LOCK_ID]);
    } catch (error) {
      broken = error instanceof Error ? error : new Error(String(error));
      throw error;
    }
  };
  try {
    const locked = await onLockConnection('select pg_try_advisory_lock($1) as held');
    if (!locked.rows[0]?.held) return undefined;
    try {
      return await work();
    } finally {
      await onLockConnection('select pg_advisory_unlock($1) as held').catch(() => {});
    }
  } finally {
    client.release(broken);
  }
}
