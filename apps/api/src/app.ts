import { randomUUID } from 'node:crypto';
import type { AwsRuntime } from '@sluice/aws/aws-runtime';
import type { Config } from '@sluice/config/env';
import type { DatabaseHandle } from '@sluice/db/client';
import { createDeliveriesRepository } from '@sluice/db/repositories/deliveries-repository';
import { createDestinationInspections } from '@sluice/db/repositories/destination-inspections';
import { createDestinationsRepository } from '@sluice/db/repositories/destinations-repository';
import { createDlqReplaysRepository } from '@sluice/db/repositories/dlq-replays-repository';
import { createDlqRepository } from '@sluice/db/repositories/dlq-repository';
import { createEventsRepository } from '@sluice/db/repositories/events-repository';
import { reassignOrderingKeys } from '@sluice/db/repositories/ordering-keys';
import { createSealedSecrets } from '@sluice/db/repositories/sealed-secrets';
import { createTenantsRepository } from '@sluice/db/repositories/tenants-repository';
import { createDestinationResolver } from '@sluice/destinations/resolver';
import { createJobProducer } from '@sluice/jobs/producer';
import { redisIsUp } from '@sluice/jobs/redis';
import type { Logger } from '@sluice/logger/logger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-zod-openapi';
import type { Redis } from 'ioredis';
import { createApiMetrics } from './metrics.ts';
import { registerAuth } from './plugins/auth.ts';
import { registerOpenApi } from './plugins/openapi.ts';
import { registerProblemErrors } from './plugins/problem-errors.ts';
import { healthRoutes } from './routes/health.ts';
import { adminEncryptionKeyRoutes } from './routes/v1/admin-encryption-keys.ts';
import { adminTenantRoutes } from './routes/v1/admin-tenants.ts';
import { deliveryRoutes } from './routes/v1/deliveries.ts';
import { destinationRoutes } from './routes/v1/destinations.ts';
import { dlqRoutes, operatorDlqMount, tenantDlqMount } from './routes/v1/dlq.ts';
import { eventRoutes } from './routes/v1/events.ts';
import { createApiKeyService } from './services/api-key-service.ts';
import { createDestinationAwsChecks } from './services/destination-aws-checks.ts';
import { createDestinationService } from './services/destination-service.ts';
import { createDlqService } from './services/dlq-service.ts';
import { createEventIngestService } from './services/event-ingest-service.ts';

export interface AppDeps {
  config: Pick<Config, 'OPERATOR_API_KEY' | 'awsEndpoints'>;
  aws: AwsRuntime;
  database: DatabaseHandle;
  /** A producer connection (fails fast while Redis is down). */
  redis: Redis;
  logger: Logger;
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

  const tenants = createTenantsRepository(deps.database.db);
  const events = createEventsRepository(deps.database.db);
  const deliveries = createDeliveriesRepository(deps.database.db);
  const destinations = createDestinationsRepository(deps.database.db);
  const metrics = createApiMetrics({ backlog: () => deliveries.backlogByType() });
  const jobs = createJobProducer(deps.redis);
  const resolver = createDestinationResolver({ endpoints: deps.config.awsEndpoints, ...deps.aws });
  const destinationService = createDestinationService({
    destinations,
    aws: deps.aws,
    resolver,
    checks: createDestinationAwsChecks({
      aws: deps.aws,
      resolver,
      inspections: createDestinationInspections(deps.database.db),
    }),
    jobs,
    regroup: (destinationId, orderingKey) => reassignOrderingKeys(deps.database.db, destinationId, orderingKey),
  });
  const apiKeys = createApiKeyService({ tenants, operatorApiKey: deps.config.OPERATOR_API_KEY });
  const ingest = createEventIngestService({ events, jobs, logger: deps.logger, metrics });

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status: reply.statusCode }, reply.elapsedTime / 1000);
  });
  app.addHook('onClose', async () => jobs.close());

  registerProblemErrors(app);
  registerAuth(app, apiKeys);
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
  await app.register(adminTenantRoutes({ tenants, apiKeys }));
  await app.register(
    adminEncryptionKeyRoutes({ sealedSecrets: createSealedSecrets(deps.database.db), secrets: deps.aws.secrets }),
  );
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
