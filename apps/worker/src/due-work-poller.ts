import type { DueWork } from '@sluice/db/repositories/due-work';
import type { JobProducer } from '@sluice/jobs/producer';
import type { Logger } from '@sluice/logger/logger';
import { createPeriodicTask } from './periodic-task.ts';

/**
 * Once a second, asks PostgreSQL which destinations have due deliveries and makes sure a
 * drain is queued for each (the queue deduplicates). This is what brings retries back when
 * their backoff ends, re-sends a dead worker's deliveries when their lease ends, and restarts
 * everything after Redis lost its data: PostgreSQL decides what is due, never Redis.
 */
export function createDueWorkPoller(deps: {
  dueWork: Pick<DueWork, 'dueDestinations'>;
  jobs: Pick<JobProducer, 'enqueue'>;
  logger: Logger;
  intervalMs?: number;
}) {
  async function pollOnce(): Promise<number> {
    const due = await deps.dueWork.dueDestinations(1_000);
    await deps.jobs.enqueue('drain', due);
    return due.length;
  }
  const intervalMs = deps.intervalMs ?? 1_000;
  const task = createPeriodicTask({
    name: 'due-work poll',
    run: pollOnce,
    intervalMs,
    firstRunMs: intervalMs,
    logger: deps.logger,
  });
  return { pollOnce, start: task.start, stop: task.stop };
}
