import type { EventsRepository } from '@sluice/db/repositories/events-repository';
import { jobCatalog } from '@sluice/jobs/catalog';
import type { Logger } from '@sluice/logger/logger';
import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * Consumes fan-out jobs. Until the delivery engine lands, fanning out means recording
 * that the event was seen (its outbox state), which is what the sweeper keys on.
 */
export function startFanOutWorker(deps: {
  connection: Redis;
  events: Pick<EventsRepository, 'markFannedOut'>;
  logger: Logger;
  concurrency?: number;
}): Worker {
  const entry = jobCatalog.fanOut;
  const worker = new Worker(
    entry.queue,
    async (job: Job) => {
      const payload = entry.payload.parse(job.data);
      await deps.events.markFannedOut(payload.tenantId, payload.eventId);
    },
    { connection: deps.connection, concurrency: deps.concurrency ?? 20 },
  );
  worker.on('failed', (job, error) =>
    deps.logger.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: error }, 'fan-out job failed'),
  );
  worker.on('error', (error) => deps.logger.warn({ err: error }, 'fan-out worker error'));
  return worker;
}
