import type { FanOutService } from '@sluice/delivery/fan-out-service';
import { jobCatalog } from '@sluice/jobs/catalog';
import type { JobProducer } from '@sluice/jobs/producer';
import type { Logger } from '@sluice/logger/logger';
import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';

/** Consumes fan-out jobs: creates the event's deliveries, then wakes the drains of their destinations. */
export function startFanOutWorker(deps: {
  connection: Redis;
  fanOut: Pick<FanOutService, 'fanOut'>;
  jobs: Pick<JobProducer, 'enqueueDrains'>;
  logger: Logger;
  concurrency?: number;
}): Worker {
  const entry = jobCatalog.fanOut;
  const worker = new Worker(
    entry.queue,
    async (job: Job) => {
      const { tenantId, eventId } = entry.payload.parse(job.data);
      const destinationIds = await deps.fanOut.fanOut(tenantId, eventId);
      // If this enqueue is lost, the due-work poller finds the deliveries within a second.
      await deps.jobs.enqueueDrains(destinationIds.map((destinationId) => ({ tenantId, destinationId })));
    },
    { connection: deps.connection, concurrency: deps.concurrency ?? 20 },
  );
  worker.on('failed', (job, error) =>
    deps.logger.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: error }, 'fan-out job failed'),
  );
  worker.on('error', (error) => deps.logger.warn({ err: error }, 'fan-out worker error'));
  return worker;
}
