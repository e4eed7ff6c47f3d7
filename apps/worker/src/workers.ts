import type { AwsRuntime } from '@sluice/aws/aws-runtime';
import type { AwsEndpoints } from '@sluice/config/env';
import type { DatabaseHandle } from '@sluice/db/client';
import { createDeliveriesRepository } from '@sluice/db/repositories/deliveries-repository';
import { createDeliveryClaims } from '@sluice/db/repositories/delivery-claims';
import { createDeliveryOutcomes } from '@sluice/db/repositories/delivery-outcomes';
import { createDestinationInspections } from '@sluice/db/repositories/destination-inspections';
import { createDestinationsRepository } from '@sluice/db/repositories/destinations-repository';
import { createDlqReplaysRepository } from '@sluice/db/repositories/dlq-replays-repository';
import { createDlqRepository } from '@sluice/db/repositories/dlq-repository';
import { createEventsRepository } from '@sluice/db/repositories/events-repository';
import { createSealedSecrets } from '@sluice/db/repositories/sealed-secrets';
import { createDrainService, type DrainOptions } from '@sluice/delivery/drain-service';
import { createFanOutService } from '@sluice/delivery/fan-out-service';
import { createDestinationResolver } from '@sluice/destinations/resolver';
import { createJobProducer } from '@sluice/jobs/producer';
import type { Logger } from '@sluice/logger/logger';
import type { Redis } from 'ioredis';
import { createDestinationInspector, type InspectorOptions } from './destination-inspector.ts';
import { type ReplayRate, startDlqReplayWorker } from './dlq-replay-worker.ts';
import { startDrainWorker } from './drain-worker.ts';
import { createDueWorkPoller } from './due-work-poller.ts';
import { startFanOutWorker } from './fan-out-worker.ts';
import { createWorkerMetrics } from './metrics.ts';
import { createSecretResealer, type ResealerOptions } from './secret-resealer.ts';
import { createSweeper, type SweeperOptions } from './sweeper.ts';

export interface WorkerDeps {
  database: DatabaseHandle;
  /** For BullMQ workers: waits for Redis (maxRetriesPerRequest: null). */
  workerRedis: Redis;
  /** For enqueueing: fails fast. */
  producerRedis: Redis;
  aws: AwsRuntime;
  awsEndpoints: AwsEndpoints;
  logger: Logger;
  sweeper?: Partial<SweeperOptions>;
  drain?: Partial<DrainOptions>;
  pollIntervalMs?: number;
  replayRate?: Partial<ReplayRate>;
  inspector?: Partial<InspectorOptions>;
  resealer?: Partial<ResealerOptions>;
}

/**
 * Starts every consumer, the due-work poller, the sweeper and the maintenance passes (destination
 * inspection, secret re-sealing); close() lets in-flight work finish first.
 */
export function startWorkers(deps: WorkerDeps) {
  const { db } = deps.database;
  const events = createEventsRepository(db);
  const deliveries = createDeliveriesRepository(db);
  const destinations = createDestinationsRepository(db);
  const jobs = createJobProducer(deps.producerRedis);
  const metrics = createWorkerMetrics();
  let stopping = false;

  const resolver = createDestinationResolver({ endpoints: deps.awsEndpoints, ...deps.aws });
  const fanOut = createFanOutService({ deliveries, resolver, logger: deps.logger });
  const drain = createDrainService({
    destinations,
    claims: createDeliveryClaims(db),
    outcomes: createDeliveryOutcomes(db),
    resolver,
    metrics: metrics.drain,
    logger: deps.logger,
    options: deps.drain,
  });

  const fanOutWorker = startFanOutWorker({ connection: deps.workerRedis, fanOut, jobs, logger: deps.logger });
  const drainWorker = startDrainWorker({
    connection: deps.workerRedis,
    drain,
    jobs,
    logger: deps.logger,
    isStopping: () => stopping,
  });
  const replays = createDlqReplaysRepository(db);
  const dlqReplayWorker = startDlqReplayWorker({
    connection: deps.workerRedis,
    dlq: createDlqRepository(db),
    replays,
    jobs,
    logger: deps.logger,
    isStopping: () => stopping,
    rate: deps.replayRate,
  });
  const poller = createDueWorkPoller({ deliveries, jobs, logger: deps.logger, intervalMs: deps.pollIntervalMs });
  const sweeper = createSweeper({ events, replays, destinations, jobs, logger: deps.logger, options: deps.sweeper });
  const inspector = createDestinationInspector({
    inspections: createDestinationInspections(db),
    resolver,
    broker: deps.aws.broker,
    logger: deps.logger,
    options: deps.inspector,
  });
  const resealer = createSecretResealer({
    sealedSecrets: createSealedSecrets(db),
    secrets: deps.aws.secrets,
    logger: deps.logger,
    options: deps.resealer,
  });
  poller.start();
  sweeper.start();
  inspector.start();
  resealer.start();

  return {
    sweeper,
    poller,
    inspector,
    resealer,
    metrics,
    async close() {
      stopping = true;
      await Promise.all([sweeper.stop(), poller.stop(), inspector.stop(), resealer.stop()]);
      // Worker.close() waits for active jobs; drains stop claiming and finish the batches in flight.
      await Promise.all([fanOutWorker.close(), drainWorker.close(), dlqReplayWorker.close()]);
      await jobs.close();
    },
  };
}

export type RunningWorkers = ReturnType<typeof startWorkers>;
