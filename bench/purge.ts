import { connectDatabase } from '@sluice/db/client';
import { createRetention } from '@sluice/db/repositories/retention';
import { defaultRetentionPurgeOptions, purgeEventsPastRetention } from '@sluice/delivery/retention-purge';
import type { BenchEnvironment } from './environment.ts';

/**
 * The history phase's purge: the worker's own retention loop (the same batches, the same
 * pauses), run from the bench process while the standard end to end is measured again, so
 * what retention costs delivery is the difference between the two figures. The history is
 * purged with a cutoff of the moment it was seeded: to the loop, that is what those events
 * look like RETENTION_DAYS after they were received (the cutoff is only a number in its
 * query); the end to end's own events are newer, and stay.
 */

export interface PurgeDuringResult {
  /** Events deleted while the phase ran (with their deliveries and attempt logs). */
  events: number;
  batches: number;
  seconds: number;
  eventsPerSecond: number;
  /** The loop ran out of events to purge before the phase ended (its cost was then not measured throughout). */
  completedEarly: boolean;
  batchSize: number;
}

export function startPurge(env: BenchEnvironment, olderThan: Date) {
  const database = connectDatabase(env.databaseUrl, { max: 2, applicationName: 'bench-purge' });
  const retention = createRetention(database.executor);
  let stopping = false;
  const startedAt = performance.now();
  let endedAt: number | undefined;
  const running = purgeEventsPastRetention({ retention, olderThan, shouldStop: () => stopping }).finally(() => {
    endedAt = performance.now();
  });
  // A failed batch is reported by stop(), not as an unhandled rejection in the middle of the phase.
  running.catch(() => {});
  return {
    /** Stops the loop after the batch in flight; answers what it did. */
    async stop(): Promise<PurgeDuringResult> {
      const stoppedAt = performance.now();
      stopping = true;
      try {
        const result = await running;
        const seconds = ((endedAt ?? stoppedAt) - startedAt) / 1000;
        return {
          events: result.events,
          batches: result.batches,
          seconds: Math.round(seconds * 10) / 10,
          eventsPerSecond: Math.round(result.events / seconds),
          completedEarly: result.complete,
          batchSize: defaultRetentionPurgeOptions.batchSize,
        };
      } finally {
        await database.close();
      }
    },
  };
}
