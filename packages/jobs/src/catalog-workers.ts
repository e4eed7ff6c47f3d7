import type { Logger } from '@sluice/logger/logger';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { type JobName, type JobPayload, jobCatalog, parsePayload, QUEUE_PREFIX } from './catalog.ts';
import type { JobProducer } from './producer.ts';

/**
 * A handler per catalog entry. `again` hands the job back to the end of its queue (a run that
 * used its time budget with work left), so other tenants and destinations get their turn;
 * with `againInMs`, not before then (a drain waiting for its destination's send rate).
 */
export type JobHandler<N extends JobName> = (
  payload: JobPayload<N>,
) => Promise<{ again?: boolean; againInMs?: number | undefined } | undefined>;
export type JobHandlers = { [N in JobName]: JobHandler<N> };

/**
 * Starts one BullMQ worker per catalog entry, with the entry's options; every entry must have
 * a handler (the map is exhaustive), and each payload is parsed once, here.
 */
export function startCatalogWorkers(deps: {
  connection: Redis;
  producer: Pick<JobProducer, 'enqueue'>;
  handlers: JobHandlers;
  logger: Logger;
  isStopping: () => boolean;
}): Worker[] {
  function start<N extends JobName>(name: N): Worker {
    const entry = jobCatalog[name];
    const handler: JobHandler<N> = deps.handlers[name];
    const worker = new Worker(
      entry.queue,
      async (job) => {
        const payload = parsePayload(name, job.data);
        const result = await handler(payload);
        if (result?.again && !deps.isStopping())
          await deps.producer.enqueue(name, [payload], { delayMs: result.againInMs ?? 0 });
      },
      { connection: deps.connection, prefix: QUEUE_PREFIX, ...entry.worker },
    );
    worker.on('failed', (job, error) =>
      deps.logger.warn({ queue: entry.queue, jobId: job?.id, attempts: job?.attemptsMade, err: error }, 'job failed'),
    );
    worker.on('error', (error) => deps.logger.warn({ queue: entry.queue, err: error }, 'worker error'));
    return worker;
  }
  return (Object.keys(jobCatalog) as JobName[]).map((name) => start(name));
}
