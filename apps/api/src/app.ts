import { randomUUID } from 'node:crypto';
import type { AwsRuntime } from '@sluice/aws/aws-runtime';
import type { Config } from '@sluice/config/env';
import { consoleDistDir } from '@sluice/console/paths';
import type { DatabaseHandle } from '@sluice/db/client';
import { createAccessTokensRepository } from '@sluice/db/repositories/access-tokens-repository';
import { createDeliveriesRepository } from '@sluice/db/repositories/deliveries-repository';
import { createDeliveryQueue } from '@sluice/db/repositories/delivery-queue';
import { createDeliveryStatsRepository } from '@sluice/db/repositories/delivery-stats-repository';
import { createDestinationsRepository } from '@sluice/db/repositories/destinations-repository';
import { createDlqReplaysRepository } from '@sluice/db/repositories/dlq-replays-repository';
import { createDlqRepository } from '@sluice/db/repositories/dlq-repository';
import { createEventsRepository } from '@sluice/db/repositories/events-repository';
import { createTenantsRepository } from '@sluice/db/repositories/tenants-repository';
import { createReplayService } from '@sluice/delivery/replay-service';
import { createDestinationResolver } from '@sluice/destinations/resolver';
import { createJobProducer } from '@sluice/jobs/producer';
import { redisIsUp } from '@sluice/jobs/redis';
import { createWakeUps } from '@sluice/jobs/wake-ups';
import type { Logger } from '@sluice/logger/logger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-zod-openapi';
import type { Redis } from 'ioredis';
import { createApiMetrics } from './metrics.ts';
import { registerAuth } from './plugins/auth.ts';
import { registerOpenApi } from './plugins/openapi.ts';
import { registerProblemErrors } from './plugins/problem-errors.ts';
import { healthRoutes } from './routes/health.ts';
import { adminTenantRoutes } from './routes/v1/admin-tenants.ts';
import { consoleSessionRoutes } from './routes/v1/console-session.ts';
import { deliveryRoutes } from './routes/v1/deliveries.ts';
import { destinationRoutes } from './routes/v1/destinations.ts';
import { dlqRoutes, operatorDlqMount, tenantDlqMount } from './routes/v1/dlq.ts';
import { eventRoutes } from './routes/v1/events.ts';
import { portalRoutes } from './routes/v1/portal.ts';
import { statsRoutes } from './routes/v1/stats.ts';
import { webAppRoutes } from './routes/web-app.ts';
import { createApiKeyService } from './services/api-key-service.ts';
import { createConsoleSessionService } from './services/console-session-service.ts';
import { createDeliveryService } from './services/delivery-service.ts';
import { createDestinationService } from './services/destination-service.ts';
import { createDlqService } from './services/dlq-service.ts';
import { createEventService } from './services/event-service.ts';
import { createPortalService } from './services/portal-service.ts';
import { createStatsService } from './services/stats-service.ts';
import { createTenantService } from './services/tenant-service.ts';

export interface AppDeps {
  config: Pick<Config, 'OPERATOR_API_KEY' | 'awsEndpoints'> &
    Partial<Pick<Config, 'SERVICE_PRINCIPAL_ARN' | 'PUBLIC_URL'>>;
  aws: AwsRuntime;
  database: DatabaseHandle;
  /** A producer connection (fails fast while Redis is down). */
  redis: Redis;
  logger: Logger;
  /** The built console and portal pages (apps/console/dist by default). */
  webAppDir?: string;
}

export const MAX_BODY_BYTES = 1024 * 1024;

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
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const { executor } = deps.database;
  const tenants = createTenantsRepository(executor);
  const events = createEventsRepository(executor);
  const deliveries = createDeliveriesRepository(executor);
  const destinations = createDestinationsRepository(executor);
  const dlq = createDlqRepository(executor);
  const replays = createDlqReplaysRepository(executor);
  const metrics = createApiMetrics({ backlog: () => deliveries.backlogByType() });
  const jobs = createJobProducer(deps.redis);
  const fanOutWakes = createWakeUps<string>({
    keyOf: (tenantId) => tenantId,
    send: (tenantIds) =>
      jobs.enqueue(
        'fanOut',
        tenantIds.map((tenantId) => ({ tenantId })),
      ),
    onError: (error) => deps.logger.warn({ err: error }, 'fan-out wake-up failed; the sweeper will find the events'),
  });
  const destinationService = createDestinationService({
    destinations,
    aws: deps.aws,
    resolver: createDestinationResolver({ endpoints: deps.config.awsEndpoints, ...deps.aws }),
    jobs,
    servicePrincipalArn: deps.config.SERVICE_PRINCIPAL_ARN,
  });
  const apiKeys = createApiKeyService({ tenants, operatorApiKey: deps.config.OPERATOR_API_KEY });
  const eventService = createEventService({ events, deliveries, wakeFanOut: fanOutWakes.wake, metrics });
  const dlqService = createDlqService({
    database: deps.database,
    dlq,
    replays,
    replay: createReplayService({ database: deps.database, dlq, replays, queue: createDeliveryQueue() }),
    events,
    deliveries,
    jobs,
    logger: deps.logger,
    tenantExists: tenants.exists,
  });
  const accessTokens = createAccessTokensRepository(executor);
  const consoleSessions = createConsoleSessionService({ tokens: accessTokens, apiKeys });
  const portal = createPortalService({ tokens: accessTokens });

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status: reply.statusCode }, reply.elapsedTime / 1000);
  });
  app.addHook('onClose', async () => {
    await fanOutWakes.flush();
    await jobs.close();
  });

  registerProblemErrors(app);
  registerAuth(app, { apiKeys, consoleSessions, portal });
  await registerOpenApi(app, { publicUrl: deps.config.PUBLIC_URL });

  await app.register(
    healthRoutes({
      checks: {
        postgres: async () => (await deps.database.pool.query('select 1')).rowCount === 1,
        redis: () => redisIsUp(deps.redis),
      },
      metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
    }),
  );
  await app.register(adminTenantRoutes({ tenants: createTenantService({ tenants }), apiKeys }));
  await app.register(eventRoutes({ service: eventService }));
  await app.register(destinationRoutes({ service: destinationService }));
  await app.register(deliveryRoutes({ service: createDeliveryService({ deliveries }) }));
  await app.register(dlqRoutes({ service: dlqService, mount: tenantDlqMount }));
  await app.register(dlqRoutes({ service: dlqService, mount: operatorDlqMount }));
  await app.register(statsRoutes({ stats: createStatsService({ stats: createDeliveryStatsRepository(executor) }) }));
  await app.register(portalRoutes({ portal, publicUrl: deps.config.PUBLIC_URL }));
  await app.register(
    consoleSessionRoutes({
      sessions: consoleSessions,
      tenantName: async (tenantId) => (await tenants.get(tenantId))?.name ?? null,
    }),
  );
  await app.register(
    webAppRoutes({
      distDir: deps.webAppDir ?? consoleDistDir,
      portalFrameAncestors: async (sessionId) => {
        const tenantId = await portal.tenantOfSession(sessionId);
        return tenantId ? ((await tenants.get(tenantId))?.portalFrameAncestors ?? []) : [];
      },
    }),
  );
  return app;
}
