import type { DestinationsRepository } from '@sluice/db/repositories/destinations-repository';
import type { DlqReplaysRepository } from '@sluice/db/repositories/dlq-replays-repository';
import type { EventsRepository } from '@sluice/db/repositories/events-repository';
import type { JobProducer } from '@sluice/jobs/producer';
import type { Logger } from '@sluice/logger/logger';

/**
 * PostgreSQL is the truth and Redis is disposable: the sweeper finds work that
 * PostgreSQL says is outstanding and makes sure a job exists for it. It covers a crash
 * between the API's commit and its enqueue, and a Redis that lost its data.
 */
export interface SweeperOptions {
  /** Only events older than this are swept, so the API's own enqueue wins the race. */
  graceMs: number;
  intervalMs: number;
  batchSize: number;
}

export const defaultSweeperOptions: SweeperOptions = { graceMs: 10_000, intervalMs: 15_000, batchSize: 500 };

export function createSweeper(deps: {
  events: Pick<EventsRepository, 'listAwaitingFanOut'>;
  replays: Pick<DlqReplaysRepository, 'listRunning'>;
  destinations: Pick<DestinationsRepository, 'deadLetterOrphans'>;
  jobs: Pick<JobProducer, 'requeueFanOuts' | 'requeueDlqReplays'>;
  logger: Logger;
  options?: Partial<SweeperOptions>;
}) {
  const options = { ...defaultSweeperOptions, ...deps.options };
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;

  async function sweepOnce(): Promise<{ added: number; retried: number }> {
    const total = { added: 0, retried: 0 };
    const cutoff = new Date(Date.now() - options.graceMs);
    // Bounded per sweep so one pass never holds the process for long; the next pass continues.
    for (let pass = 0; pass < 20; pass++) {
      const stuck = await deps.events.listAwaitingFanOut(cutoff, options.batchSize);
      if (stuck.length === 0) break;
      const result = await deps.jobs.requeueFanOuts(stuck.map((e) => ({ tenantId: e.tenantId, eventId: e.id })));
      total.added += result.added;
      total.retried += result.retried;
      // Everything listed already has a live job: the workers are just behind.
      if (stuck.length < options.batchSize || result.added + result.retried === 0) break;
    }
    if (total.added + total.retried > 0) deps.logger.info(total, 'sweeper re-enqueued fan-out work');
    // Deliveries a fan-out or replay made for a destination deleted meanwhile.
    const orphans = await deps.destinations.deadLetterOrphans();
    if (orphans > 0) deps.logger.info({ orphans }, 'sweeper dead-lettered deliveries of deleted destinations');
    // Bulk replays still running get their job back (a no-op while the job exists).
    const running = await deps.replays.listRunning();
    if (running.length > 0) await deps.jobs.requeueDlqReplays(running.map((replayId) => ({ replayId })));
    return total;
  }

  return {
    sweepOnce,
    start() {
      const tick = () => {
        running = sweepOnce()
          .catch((error: unknown) => deps.logger.warn({ err: error }, 'sweep failed; trying again next interval'))
          .finally(() => {
            if (timer) timer = setTimeout(tick, options.intervalMs);
          });
      };
      // First pass soon after start: a restarted worker repairs a lost Redis at once.
      timer = setTimeout(tick, Math.min(options.intervalMs, 1_000));
    },
    async stop() {
      clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
