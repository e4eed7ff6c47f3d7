import type { DrainService } from '@sluice/delivery/drain-service';
import { jobCatalog } from '@sluice/jobs/catalog';
import type { JobProducer } from '@sluice/jobs/producer';
import type { Logger } from '@sluice/logger/logger';
import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * Consumes drain jobs, one per destination at a time (the catalog deduplicates them).
 * Destinations do not block each other: each drain hands its destination back after a
 * time budget, and `concurrency` drains run side by side.
 */
export function startDrainWorker(deps: {
  connection: Redis;
  drain: Pick<DrainService, 'drain'>;
  jobs: Pick<JobProducer, 'enqueueDrains'>;
  logger: Logger;
  isStopping: () => boolean;
  concurrency?: number;
}): Worker {
  const entry = jobCatalog.drain;
  const worker = new Worker(
    entry.queue,
    async (job: Job) => {
      const payload = entry.payload.parse(job.data);
      const result = await deps.drain.drain(payload.tenantId, payload.destinationId, deps.isStopping);
      if (result.more && !deps.isStopping()) await deps.jobs.enqueueDrains([payload]);
      return result;
    },
    {
      connection: deps.connection,
      concurrency: deps.concurrency ?? 16,
      // A drain of a worker that died holds its destination's deduplication key until BullMQ
      // sees it stalled: keep that short, and let a drain stall any number of times (the
      // deliveries' own lease in PostgreSQL is what guards against double sends).
      lockDuration: 10_000,
      stalledInterval: 5_000,
      maxStalledCount: 1_000,
    },
  );
  worker.on('failed', (job, error) =>
    deps.logger.warn({ jobId: job?.id, destinationId: job?.data?.destinationId, err: error }, 'drain job failed'),
  );
  worker.on('error', (error) => deps.logger.warn({ err: error }, 'drain worker error'));
  return worker;
}
