import type { FanOutService } from '@sluice/delivery/fan-out-service';
import { jobCatalog } from '@sluice/jobs/catalog';
import type { JobProducer } from '@sluice/jobs/producer';
import type { Logger } from '@sluice/logger/logger';
import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createFanOutBatcher } from './fan-out-batcher.ts';

/**
 * Consumes fan-out jobs: creates the event's deliveries, then wakes the drains of their
 * destinations. Jobs active together are fanned out in one transaction (fan-out-batcher.ts),
 * so the concurrency is also the largest batch: high, because a waiting job costs only memory.
 */
export function startFanOutWorker(deps: {
  connection: Redis;
  fanOut: Pick<FanOutService, 'fanOutMany'>;
  jobs: Pick<JobProducer, 'enqueueDrains'>;
  logger: Logger;
  concurrency?: number;
}): Worker {
  const entry = jobCatalog.fanOut;
  const concurrency = deps.concurrency ?? 200;
  const batcher = createFanOutBatcher(deps, { maxBatch: concurrency, maxInFlight: 2 });
  const worker = new Worker(
    entry.queue,
    async (job: Job) => {
      const { tenantId, eventId } = entry.payload.parse(job.data);
      await batcher.fanOut({ tenantId, eventId });
    },
    { connection: deps.connection, concurrency },
  );
  worker.on('failed', (job, error) =>
    deps.logger.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: error }, 'fan-out job failed'),
  );
  worker.on('error', (error) => deps.logger.warn({ err: error }, 'fan-out worker error'));
  return worker;
}
