import type { DatabaseHandle } from '@sluice/db/client';
import { createEventsRepository } from '@sluice/db/repositories/events-repository';
import { createJobProducer } from '@sluice/jobs/producer';
import type { Logger } from '@sluice/logger/logger';
import type { Redis } from 'ioredis';
import { startFanOutWorker } from './fan-out-worker.ts';
import { createSweeper, type SweeperOptions } from './sweeper.ts';

export interface WorkerDeps {
  database: DatabaseHandle;
  /** For BullMQ workers: waits for Redis (maxRetriesPerRequest: null). */
  workerRedis: Redis;
  /** For enqueueing from the sweeper: fails fast. */
  producerRedis: Redis;
  logger: Logger;
  sweeper?: Partial<SweeperOptions>;
}

/** Starts every consumer and the sweeper; close() lets in-flight jobs finish first. */
export function startWorkers(deps: WorkerDeps) {
  const events = createEventsRepository(deps.database.db);
  const jobs = createJobProducer(deps.producerRedis);
  const fanOut = startFanOutWorker({ connection: deps.workerRedis, events, logger: deps.logger });
  const sweeper = createSweeper({ events, jobs, logger: deps.logger, options: deps.sweeper });
  sweeper.start();

  return {
    sweeper,
    async close() {
      await sweeper.stop();
      // Worker.close() waits for active jobs to finish before it resolves.
      await fanOut.close();
      await jobs.close();
    },
  };
}

export type RunningWorkers = ReturnType<typeof startWorkers>;
