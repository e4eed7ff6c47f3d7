import type { DeliveriesRepository } from '@sluice/db/repositories/deliveries-repository';
import type { JobProducer } from '@sluice/jobs/producer';
import type { Logger } from '@sluice/logger/logger';

/**
 * Once a second, asks PostgreSQL which destinations have due deliveries and makes sure a
 * drain is queued for each (the queue deduplicates). This is what brings retries back when
 * their backoff ends, re-sends a dead worker's deliveries when their lease ends, and restarts
 * everything after Redis lost its data: PostgreSQL decides what is due, never Redis.
 */
export function createDueWorkPoller(deps: {
  deliveries: Pick<DeliveriesRepository, 'destinationsWithDueWork'>;
  jobs: Pick<JobProducer, 'enqueueDrains'>;
  logger: Logger;
  intervalMs?: number;
}) {
  const intervalMs = deps.intervalMs ?? 1_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;

  async function pollOnce(): Promise<number> {
    const due = await deps.deliveries.destinationsWithDueWork(1_000);
    await deps.jobs.enqueueDrains(due);
    return due.length;
  }

  return {
    pollOnce,
    start() {
      const tick = () => {
        running = pollOnce()
          .catch((error: unknown) => deps.logger.warn({ err: error }, 'due-work poll failed'))
          .finally(() => {
            if (timer) timer = setTimeout(tick, intervalMs);
          });
      };
      timer = setTimeout(tick, intervalMs);
    },
    async stop() {
      clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
