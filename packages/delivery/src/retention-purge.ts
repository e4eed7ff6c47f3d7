import type { Retention } from '@sluice/db/repositories/retention';

/**
 * Deleting what retention lets go, in batches small enough that delivery never notices: each
 * batch is one short statement, and between batches the purge rests, at least `pauseMs` and at
 * least long enough that it is busy only `busyShare` of the time. Delivery's own statements
 * never wait for it (it locks only events nothing else locks, and skips any that are), so what
 * it costs is the CPU and I/O it shares: the bench's history phase measures that.
 */

export interface RetentionPurgeOptions {
  batchSize: number;
  pauseMs: number;
  /** The most of the wall-clock time the purge spends inside its statements. */
  busyShare: number;
}

export const defaultRetentionPurgeOptions: RetentionPurgeOptions = { batchSize: 500, pauseMs: 50, busyShare: 0.25 };

export interface RetentionPurgeResult {
  events: number;
  batches: number;
  /** A short batch ended it: nothing past retention is left (but what must stay). */
  complete: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Purges events received before `olderThan`, batch after batch, until a batch is short or `shouldStop()`. */
export async function purgeEventsPastRetention(deps: {
  retention: Pick<Retention, 'purgeOnce'>;
  olderThan: Date;
  options?: Partial<RetentionPurgeOptions>;
  shouldStop: () => boolean;
}): Promise<RetentionPurgeResult> {
  const options = { ...defaultRetentionPurgeOptions, ...deps.options };
  let from: Date | null = null;
  let events = 0;
  let batches = 0;
  while (!deps.shouldStop()) {
    const startedAt = performance.now();
    const batch = await deps.retention.purgeOnce({ olderThan: deps.olderThan, batchSize: options.batchSize, from });
    const busyMs = performance.now() - startedAt;
    batches += 1;
    events += batch.events;
    if (batch.events < options.batchSize) return { events, batches, complete: true };
    from = batch.reachedReceivedAt;
    await sleep(Math.max(options.pauseMs, (busyMs * (1 - options.busyShare)) / options.busyShare));
  }
  return { events, batches, complete: false };
}

/** Audit rows past AUDIT_RETENTION_DAYS, batch after batch (few: one per replay or discard). */
export async function purgeAuditPastRetention(deps: {
  retention: Pick<Retention, 'purgeAuditOnce'>;
  olderThan: Date;
  options?: Partial<RetentionPurgeOptions>;
  shouldStop: () => boolean;
}): Promise<number> {
  const options = { ...defaultRetentionPurgeOptions, ...deps.options };
  let rows = 0;
  while (!deps.shouldStop()) {
    const deleted = await deps.retention.purgeAuditOnce({ olderThan: deps.olderThan, batchSize: options.batchSize });
    rows += deleted;
    if (deleted < options.batchSize) break;
    await sleep(options.pauseMs);
  }
  return rows;
}
