import type { AwsRuntime } from '@sluice/aws/aws-runtime';
import type { Config } from '@sluice/config/env';
import type { DatabaseHandle } from '@sluice/db/client';
import { createAccessTokensRepository } from '@sluice/db/repositories/access-tokens-repository';
import { createAlertsRepository } from '@sluice/db/repositories/alerts-repository';
import { createDeliveriesRepository } from '@sluice/db/repositories/deliveries-repository';
import { createDeliveryQueue } from '@sluice/db/repositories/delivery-queue';
import { createDeliveryStatsRepository } from '@sluice/db/repositories/delivery-stats-repository';
import { createDestinationHealthRepository } from '@sluice/db/repositories/destination-health-repository';
import { createDestinationInspections } from '@sluice/db/repositories/destination-inspections';
import { insertDestinationWithinQuota } from '@sluice/db/repositories/destination-quotas';
import { createDestinationsRepository } from '@sluice/db/repositories/destinations-repository';
import { createDlqReplaysRepository } from '@sluice/db/repositories/dlq-replays-repository';
import { createDlqRepository } from '@sluice/db/repositories/dlq-repository';
import { createEventsRepository } from '@sluice/db/repositories/events-repository';
import { createFifoHolds } from '@sluice/db/repositories/fifo-holds';
import { createSealedSecrets } from '@sluice/db/repositories/sealed-secrets';
import { accessChangesSince, createTenantLimitsRepository } from '@sluice/db/repositories/tenant-limits-repository';
import { createTenantsRepository } from '@sluice/db/repositories/tenants-repository';
import { createReplayService } from '@sluice/delivery/replay-service';
import { createDestinationResolver } from '@sluice/destinations/resolver';
import { createJobProducer } from '@sluice/jobs/producer';
import { createWakeUps } from '@sluice/jobs/wake-ups';
import type { Logger } from '@sluice/logger/logger';
import type { Redis } from 'ioredis';
import { createApiMetrics } from './metrics.ts';
import { startAccessChangePoller } from './services/access-change-poller.ts';
import { createAlertService } from './services/alert-service.ts';
import { createApiKeyService } from './services/api-key-service.ts';
import { createConsoleSessionService } from './services/console-session-service.ts';
import { createDeliveryService } from './services/delivery-service.ts';
import { createDestinationAwsChecks } from './services/destination-aws-checks.ts';
import { createDestinationPreviewService } from './services/destination-preview-service.ts';
import { createDestinationService } from './services/destination-service.ts';
import { createDlqService } from './services/dlq-service.ts';
import { createEventService } from './services/event-service.ts';
import { createKeyUsageRecorder } from './services/key-usage.ts';
import { createPortalService } from './services/portal-service.ts';
import { createStatsService } from './services/stats-service.ts';
import { createTenantLimitsService } from './services/tenant-limits-service.ts';
import { createTenantService } from './services/tenant-service.ts';

export interface ServiceDeps {
  config: Pick<Config, 'OPERATOR_API_KEY' | 'awsEndpoints' | 'defaultTenantLimits'> &
    Partial<Pick<Config, 'SERVICE_PRINCIPAL_ARN'>>;
  aws: AwsRuntime;
  database: DatabaseHandle;
  /** A producer connection (fails fast while Redis is down). */
  redis: Redis;
  logger: Logger;
}

/** The API's repositories and services, wired once; the routes get the services. */
export function createApiServices(deps: ServiceDeps) {
  const { executor } = deps.database;
  const tenants = createTenantsRepository(executor);
  const events = createEventsRepository(executor);
  const deliveries = createDeliveriesRepository(executor);
  const destinations = createDestinationsRepository(executor);
  const dlq = createDlqRepository(executor);
  const replays = createDlqReplaysRepository(executor);
  const holds = createFifoHolds(executor);
  const metrics = createApiMetrics({
    backlog: () => deliveries.backlogByType(),
    heldGroups: () => holds.heldGroupsByDestination(),
  });
  const jobs = createJobProducer(deps.redis);
  const resolver = createDestinationResolver({ endpoints: deps.config.awsEndpoints, ...deps.aws });
  const fanOutWakes = createWakeUps<string>({
    keyOf: (tenantId) => tenantId,
    send: (tenantIds) =>
      jobs.enqueue(
        'fanOut',
        tenantIds.map((tenantId) => ({ tenantId })),
      ),
    onError: (error) => deps.logger.warn({ err: error }, 'fan-out wake-up failed; the sweeper will find the events'),
  });
  const tenantLimits = createTenantLimitsService({
    repository: createTenantLimitsRepository(executor),
    defaults: deps.config.defaultTenantLimits,
  });
  const keyUsage = createKeyUsageRecorder({
    record: tenants.markKeysUsed,
    onError: (error) =>
      deps.logger.warn(
        { err: error },
        'recording API key use failed; keys used again are recorded at the next interval',
      ),
  });
  const apiKeys = createApiKeyService({
    tenants,
    operatorApiKey: deps.config.OPERATOR_API_KEY,
    revocationsAreCurrent: () => accessChanges.isCurrent(),
    onKeyUsed: keyUsage.note,
  });
  const accessChanges = startAccessChangePoller({
    changesSince: (since) => accessChangesSince(executor, since),
    onKeysRevoked: apiKeys.forgetKeys,
    onLimitsChanged: tenantLimits.forget,
    logger: deps.logger,
  });
  const accessTokens = createAccessTokensRepository(executor);
  const portal = createPortalService({ tokens: accessTokens });

  return {
    metrics,
    jobs,
    apiKeys,
    tenantLimits,
    portal,
    consoleSessions: createConsoleSessionService({ tokens: accessTokens, apiKeys }),
    tenants: createTenantService({ tenants, limits: tenantLimits }),
    tenantName: async (tenantId: string) => (await tenants.get(tenantId))?.name ?? null,
    portalFrameAncestors: async (sessionId: string) => {
      const tenantId = await portal.tenantOfSession(sessionId);
      return tenantId ? ((await tenants.get(tenantId))?.portalFrameAncestors ?? []) : [];
    },
    events: createEventService({ events, deliveries, wakeFanOut: fanOutWakes.wake, metrics }),
    destinations: createDestinationService({
      destinations,
      database: deps.database,
      holds,
      health: createDestinationHealthRepository(executor),
      aws: deps.aws,
      resolver,
      checks: createDestinationAwsChecks({
        aws: deps.aws,
        resolver,
        inspections: createDestinationInspections(executor),
      }),
      jobs,
      servicePrincipalArn: deps.config.SERVICE_PRINCIPAL_ARN,
      insertWithinQuota: async (row) => {
        const quota = await tenantLimits.forTenant(row.tenantId);
        return deps.database.transaction((tx) => insertDestinationWithinQuota(tx, row, quota));
      },
    }),
    previews: createDestinationPreviewService({ destinations, events, resolver }),
    deliveries: createDeliveryService({ deliveries }),
    dlq: createDlqService({
      database: deps.database,
      dlq,
      replays,
      replay: createReplayService({ database: deps.database, dlq, replays, queue: createDeliveryQueue(), holds }),
      holds,
      events,
      deliveries,
      jobs,
      logger: deps.logger,
      tenantExists: tenants.exists,
    }),
    alerts: createAlertService({ alerts: createAlertsRepository(executor) }),
    stats: createStatsService({ stats: createDeliveryStatsRepository(executor) }),
    sealedSecrets: createSealedSecrets(executor),
    async close() {
      accessChanges.stop();
      await keyUsage.stop();
      await fanOutWakes.flush();
      await jobs.close();
    },
  };
}

export type ApiServices = ReturnType<typeof createApiServices>;
