import { randomUUID } from 'node:crypto';
import type { AwsRuntime } from '@sluice/aws/aws-runtime';
import type { Config } from '@sluice/config/env';
import type { DatabaseHandle } from '@sluice/db/client';
import { createDeliveriesRepository } from '@sluice/db/repositories/deliveries-repository';
import { insertDestinationWithinQuota } from '@sluice/db/repositories/destination-quotas';
import { createDestinationsRepository } from '@sluice/db/repositories/destinations-repository';
import { createDlqReplaysRepository } from '@sluice/db/repositories/dlq-replays-repository';
import { createDlqRepository } from '@sluice/db/repositories/dlq-repository';
import { createEventsRepository } from '@sluice/db/repositories/events-repository';
import { reassignOrderingKeys } from '@sluice/db/repositories/ordering-keys';
import { accessChangesSince, createTenantLimitsRepository } from '@sluice/db/repositories/tenant-limits-repository';
import { createTenantsRepository } from '@sluice/db/repositories/tenants-repository';
import { createJobProducer } from '@sluice/jobs/producer';
import { redisIsUp } from '@sluice/jobs/redis';
import type { Logger } from '@sluice/logger/logger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { createSerializerCompiler, validatorCompiler } from 'fastify-zod-openapi';
import type { Redis } from 'ioredis';
import { createApiMetrics } from './metrics.ts';
import { registerAuth } from './plugins/auth.ts';
import { registerOpenApi } from './plugins/openapi.ts';
import { registerProblemErrors } from './plugins/problem-errors.ts';
import { registerRateLimits } from './plugins/rate-limits.ts';
import { registerRequestInput } from './plugins/request-input.ts';
import { createLeasedLimiter } from './rate-limit/leased-limiter.ts';
import { healthRoutes } from './routes/health.ts';
import { adminTenantRoutes } from './routes/v1/admin-tenants.ts';
import { deliveryRoutes } from './routes/v1/deliveries.ts';
import { destinationRoutes } from './routes/v1/destinations.ts';
import { dlqRoutes, operatorDlqMount, tenantDlqMount } from './routes/v1/dlq.ts';
import { eventRoutes } from './routes/v1/events.ts';
import { startAccessChangePoller } from './services/access-change-poller.ts';
import { createApiKeyService } from './services/api-key-service.ts';
import { createDestinationService } from './services/destination-service.ts';
import { createDlqService } from './services/dlq-service.ts';
import { createEventIngestService } from './services/event-ingest-service.ts';
import { createTenantLimitsService } from './services/tenant-limits-service.ts';

export interface AppDeps {
  config: Pick<
    Config,
    'OPERATOR_API_KEY' | 'awsEndpoints' | 'REDIS_COMMAND_TIMEOUT_MS' | 'HTTP_REQUEST_TIMEOUT_MS' | 'defaultTenantLimits'
  >;
  aws: AwsRuntime;
  database: DatabaseHandle;
  /** A producer connection (fails fast while Redis is down). */
  redis: Redis;
  logger: Logger;
}

export const MAX_BODY_BYTES = 1024 * 1024;
// A request received in time has this much longer to be answered (the store timeouts are shorter).
const ANSWER_GRACE_MS = 5_000;

// A client's own x-request-id is kept when it is a sane token; anything else (too long,
// spaces, control characters that could split a header) is replaced.
const requestIdShape = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** Builds the API without listening, so tests drive it with inject() or listen on port 0. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  // Widened to Fastify's logger type so routes and plugins share one FastifyInstance type.
  const loggerInstance: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance,
    bodyLimit: MAX_BODY_BYTES,
    // The whole request, body included, must arrive within this: a client that trickles bytes
    // (or stops halfway) cannot hold a connection and its buffers for ever.
    requestTimeout: deps.config.HTTP_REQUEST_TIMEOUT_MS,
    // Node arms that timeout only when the server is created with it (Fastify sets it later),
    // and checks it every 30 s by default: every second keeps it close to its value.
    http: { requestTimeout: deps.config.HTTP_REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1_000 },
    // And answered a little later: past that the client gets a 503 (the work itself may still
    // finish, which an idempotent retry then finds), never a connection that just hangs.
    handlerTimeout: deps.config.HTTP_REQUEST_TIMEOUT_MS + ANSWER_GRACE_MS,
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && requestIdShape.test(given) ? given : randomUUID();
    },
    // Per-request lines would dominate the log at ingest rates; errors are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
  });
  // JSON only: other bodies answer 415 rather than reaching validation as strings.
  app.removeContentTypeParser('text/plain');
  registerRequestInput(app);
  app.setValidatorCompiler(validatorCompiler);
  // JSON.stringify rather than fast-json-stringify: it writes numbers kept exactly
  // (lossless-json.ts) verbatim, where a compiled serializer refuses them.
  app.setSerializerCompiler(createSerializerCompiler({ stringify: JSON.stringify }));

  const tenants = createTenantsRepository(deps.database.db);
  const events = createEventsRepository(deps.database.db);
  const deliveries = createDeliveriesRepository(deps.database.db);
  const destinations = createDestinationsRepository(deps.database.db);
  const metrics = createApiMetrics({ backlog: () => deliveries.backlogByType() });
  const jobs = createJobProducer(deps.redis);
  const tenantLimits = createTenantLimitsService({
    repository: createTenantLimitsRepository(deps.database.db),
    defaults: deps.config.defaultTenantLimits,
  });
  const destinationService = createDestinationService({
    destinations,
    aws: deps.aws,
    awsEndpoints: deps.config.awsEndpoints,
    jobs,
    regroup: (destinationId, orderingKey) => reassignOrderingKeys(deps.database.db, destinationId, orderingKey),
    insertWithinQuota: async (row) =>
      insertDestinationWithinQuota(deps.database.db, row, await tenantLimits.forTenant(row.tenantId)),
  });
  const apiKeys = createApiKeyService({
    tenants,
    operatorApiKey: deps.config.OPERATOR_API_KEY,
    revocationsAreCurrent: () => accessChanges.isCurrent(),
  });
  const accessChanges = startAccessChangePoller({
    changesSince: (since) => accessChangesSince(deps.database.db, since),
    onKeysRevoked: apiKeys.forgetKeys,
    onLimitsChanged: tenantLimits.forget,
    logger: deps.logger,
  });
  const ingest = createEventIngestService({
    events,
    jobs,
    logger: deps.logger,
    metrics,
    enqueueTimeoutMs: deps.config.REDIS_COMMAND_TIMEOUT_MS,
  });

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status: reply.statusCode }, reply.elapsedTime / 1000);
  });
  app.addHook('onClose', async () => {
    accessChanges.stop();
    await jobs.close();
  });

  registerProblemErrors(app);
  registerAuth(app, apiKeys);
  registerRateLimits(app, {
    limits: tenantLimits,
    limiters: {
      ingest: createLeasedLimiter({ redis: deps.redis, keyPrefix: 'sluice:rate:ingest:', logger: deps.logger }),
      destinationTests: createLeasedLimiter({
        redis: deps.redis,
        keyPrefix: 'sluice:rate:destination-tests:',
        logger: deps.logger,
      }),
    },
  });
  await registerOpenApi(app);

  await app.register(
    healthRoutes({
      checks: {
        postgres: async () => (await deps.database.pool.query('select 1')).rowCount === 1,
        redis: () => redisIsUp(deps.redis),
      },
      metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
    }),
  );
  await app.register(adminTenantRoutes({ tenants, apiKeys, limits: tenantLimits }));
  await app.register(eventRoutes({ ingest, events, deliveriesOfEvent: deliveries.summariesForEvent }));
  await app.register(destinationRoutes({ service: destinationService }));
  await app.register(deliveryRoutes({ deliveries }));
  const dlqService = createDlqService({
    dlq: createDlqRepository(deps.database.db),
    replays: createDlqReplaysRepository(deps.database.db),
    events,
    deliveries,
    jobs,
    logger: deps.logger,
    tenantExists: tenants.exists,
  });
  await app.register(dlqRoutes({ service: dlqService, mount: tenantDlqMount }));
  await app.register(dlqRoutes({ service: dlqService, mount: operatorDlqMount }));
  return app;
}
