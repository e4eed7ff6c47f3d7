import type { AwsRuntime } from '@sluice/aws/aws-runtime';
import type { AwsEndpoints } from '@sluice/config/env';
import type { DatabaseHandle } from '@sluice/db/client';
import { createAlertsRepository } from '@sluice/db/repositories/alerts-repository';
import { createDeliveryClaims } from '@sluice/db/repositories/delivery-claims';
import { createDeliveryOutcomes } from '@sluice/db/repositories/delivery-outcomes';
import { createDeliveryQueue } from '@sluice/db/repositories/delivery-queue';
import { createDestinationHealthRepository } from '@sluice/db/repositories/destination-health-repository';
import { createDestinationInspections } from '@sluice/db/repositories/destination-inspections';
import { createDestinationsRepository } from '@sluice/db/repositories/destinations-repository';
import { createDlqReplaysRepository } from '@sluice/db/repositories/dlq-replays-repository';
import { createDlqRepository } from '@sluice/db/repositories/dlq-repository';
import { createDueWork } from '@sluice/db/repositories/due-work';
import { createFifoHolds } from '@sluice/db/repositories/fifo-holds';
import { createOutboxRepository } from '@sluice/db/repositories/outbox-repository';
import { createRegroup } from '@sluice/db/repositories/regroup';
import { createRetention } from '@sluice/db/repositories/retention';
import { createSealedSecrets } from '@sluice/db/repositories/sealed-secrets';
import { type AlertEvaluatorOptions, createAlertEvaluator } from '@sluice/delivery/alert-evaluator';
import { createHealthTracker } from '@sluice/delivery/destination-health';
import { createDestinationMaintenance } from '@sluice/delivery/destination-maintenance';
import { createDrainService, type DrainOptions } from '@sluice/delivery/drain-service';
import { createFanOutService, type FanOutOptions } from '@sluice/delivery/fan-out-service';
import { createReplayService } from '@sluice/delivery/replay-service';
import { createDestinationResolver } from '@sluice/destinations/resolver';
import { jobCatalog } from '@sluice/jobs/catalog';
import { startCatalogWorkers } from '@sluice/jobs/catalog-workers';
import { createJobProducer } from '@sluice/jobs/producer';
import type { Logger } from '@sluice/logger/logger';
import { createSendRateLimiter } from '@sluice/rate-limit/send-rate';
import type { Redis } from 'ioredis';
import { createBulkReplayRunner, type ReplayRate } from './bulk-replay-runner.ts';
import { createDestinationInspector, type InspectorOptions } from './destination-inspector.ts';
import { createDueWorkPoller } from './due-work-poller.ts';
import { createWorkerMetrics } from './metrics.ts';
import { createPeriodicTask } from './periodic-task.ts';
import { createRetentionTask, type RetentionOptions } from './retention-task.ts';
import { createSecretResealer, type ResealerOptions } from './secret-resealer.ts';
import { createSweeper, type SweeperOptions } from './sweeper.ts';
import { createTenantShares } from './tenant-shares.ts';

/** A drain whose tenant holds its share of the drain slots comes back after this long. */
const DRAIN_AT_SHARE_DELAY_MS = 250;
/** A drain's turn while its tenant's other destinations wait for a slot (else the 5 s budget). */
const CONTENDED_TURN_MS = 1_000;

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
  /** Drains one tenant may run at once in this process (DRAIN_SLOTS_PER_TENANT). */
  drainSlotsPerTenant?: number;
  fanOut?: Partial<FanOutOptions>;
  pollIntervalMs?: number;
  replayRate?: Partial<ReplayRate>;
  inspector?: Partial<InspectorOptions>;
  resealer?: Partial<ResealerOptions>;
  alerts?: Partial<AlertEvaluatorOptions> & { intervalMs?: number };
  retention?: Partial<RetentionOptions>;
}

/**
 * Starts every consumer, the due-work poller, the sweeper and the maintenance passes (destination
 * inspection, secret re-sealing, retention); close() lets in-flight work finish first.
 */
export function startWorkers(deps: WorkerDeps) {
  const { executor } = deps.database;
  const destinations = createDestinationsRepository(executor);
  const replays = createDlqReplaysRepository(executor);
  const outbox = createOutboxRepository();
  const queue = createDeliveryQueue();
  const dueWork = createDueWork(executor);
  const jobs = createJobProducer(deps.producerRedis);
  const metrics = createWorkerMetrics();
  const resolver = createDestinationResolver({ endpoints: deps.awsEndpoints, ...deps.aws });
  let stopping = false;
  const isStopping = () => stopping;

  const fanOut = createFanOutService({
    database: deps.database,
    outbox,
    queue,
    destinations,
    resolver,
    logger: deps.logger,
    options: deps.fanOut,
  });
  const drain = createDrainService({
    destinations,
    claims: createDeliveryClaims(executor),
    outcomes: createDeliveryOutcomes(executor),
    resolver,
    // The fail-fast connection: a drain must not hang on a Redis that does not answer.
    sendRate: createSendRateLimiter({ redis: deps.producerRedis, logger: deps.logger }),
    metrics: metrics.drain,
    logger: deps.logger,
    health: createHealthTracker({ health: createDestinationHealthRepository(executor), logger: deps.logger }),
    options: deps.drain,
  });
  const maintenance = createDestinationMaintenance({
    executor,
    destinations,
    regroup: createRegroup(executor),
    resolver,
  });
  // Drains and bulk replays take turns by tenant, not by job (see tenant-shares.ts). Fan-out
  // needs no shares: its jobs are one per tenant already.
  const drainSlots = jobCatalog.drain.worker.concurrency;
  const drainShares = createTenantShares(drainSlots, { perTenant: deps.drainSlotsPerTenant ?? 4 });
  const replayShares = createTenantShares(jobCatalog.dlqReplay.worker.concurrency);
  const runBulkReplay = createBulkReplayRunner({
    replays,
    replay: createReplayService({
      database: deps.database,
      dlq: createDlqRepository(executor),
      replays,
      queue,
      holds: createFifoHolds(executor),
    }),
    jobs,
    shares: replayShares,
    isStopping,
    rate: deps.replayRate,
  });

  const workers = startCatalogWorkers({
    connection: deps.workerRedis,
    producer: jobs,
    logger: deps.logger,
    isStopping,
    handlers: {
      async fanOut({ tenantId }) {
        const result = await fanOut.fanOutTenant(tenantId, isStopping);
        // If this wake-up is lost, the due-work poller finds the deliveries within a second.
        await jobs.enqueue(
          'drain',
          [...result.destinations].map((destinationId) => ({ tenantId, destinationId })),
        );
        return { again: result.more };
      },
      async drain({ tenantId, destinationId }) {
        const release = drainShares.tryTake(tenantId);
        if (!release) return { again: true, againInMs: DRAIN_AT_SHARE_DELAY_MS };
        const started = Date.now();
        // Past its share (another tenant came), or past a short turn while the tenant's other
        // destinations wait for a slot, the drain ends at its next round and goes to the back.
        const yieldTurn = () =>
          drainShares.overShare(tenantId) ||
          (Date.now() - started > CONTENDED_TURN_MS && drainShares.contended(tenantId));
        try {
          const result = await drain.drain(tenantId, destinationId, () => isStopping() || yieldTurn());
          return { again: result.more, againInMs: result.retryInMs };
        } finally {
          release();
        }
      },
      dlqReplay: ({ replayId }) => runBulkReplay(replayId),
      async maintenance({ tenantId, destinationId, task }) {
        if (task === 'expire') return { again: (await maintenance.expireDisabled(destinationId)).more };
        const state =
          task === 'purge'
            ? await maintenance.purgeDeleted(destinationId)
            : await maintenance.regroup(tenantId, destinationId);
        // A claim still in flight: look again shortly (the job goes to the back of the queue).
        if (state === 'waiting') await new Promise((resolve) => setTimeout(resolve, 500));
        return { again: state !== 'done' };
      },
    },
  });
  const poller = createDueWorkPoller({ dueWork, jobs, logger: deps.logger, intervalMs: deps.pollIntervalMs });
  const sweeper = createSweeper({
    executor,
    outbox,
    dueWork,
    replays,
    jobs,
    logger: deps.logger,
    options: deps.sweeper,
  });
  const inspector = createDestinationInspector({
    inspections: createDestinationInspections(executor),
    resolver,
    broker: deps.aws.broker,
    logger: deps.logger,
    options: deps.inspector,
  });
  const resealer = createSecretResealer({
    sealedSecrets: createSealedSecrets(executor),
    secrets: deps.aws.secrets,
    logger: deps.logger,
    options: deps.resealer,
  });
  const alertEvaluator = createAlertEvaluator({
    database: deps.database,
    alerts: createAlertsRepository(executor),
    wakeFanOut: (tenantIds) =>
      jobs.enqueue(
        'fanOut',
        tenantIds.map((tenantId) => ({ tenantId })),
      ),
    logger: deps.logger,
    options: deps.alerts,
  });
  // Every worker evaluates: the alerts' unique index and the events' idempotency keys emit each
  // state once whoever sees it first, so there is nothing to elect.
  const alertWatch = createPeriodicTask({
    name: 'alert evaluation',
    run: alertEvaluator.evaluateOnce,
    intervalMs: deps.alerts?.intervalMs ?? 5_000,
    logger: deps.logger,
  });
  const retention = createRetentionTask({
    database: deps.database,
    retention: createRetention(executor),
    logger: deps.logger,
    isStopping,
    options: deps.retention,
  });
  poller.start();
  sweeper.start();
  inspector.start();
  resealer.start();
  alertWatch.start();
  retention.start();

  return {
    sweeper,
    poller,
    inspector,
    resealer,
    retention,
    metrics,
    async close() {
      stopping = true;
      await Promise.all([
        sweeper.stop(),
        poller.stop(),
        inspector.stop(),
        resealer.stop(),
        alertWatch.stop(),
        retention.stop(),
      ]);
      // Worker.close() waits for active jobs; drains stop claiming and finish the batches in flight.
      await Promise.all(workers.map((worker) => worker.close()));
      await jobs.close();
    },
  };
}

export type RunningWorkers = ReturnType<typeof startWorkers>;
