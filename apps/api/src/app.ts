import { randomUUID } from 'node:crypto';
import type { Config } from '@sluice/config/env';
import { consoleDistDir } from '@sluice/console/paths';
import { redisIsUp } from '@sluice/jobs/redis';
import { createLeasedLimiter } from '@sluice/rate-limit/leased-limiter';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { createSerializerCompiler, validatorCompiler } from 'fastify-zod-openapi';
import { createApiServices, type ServiceDeps } from './api-services.ts';
import { registerAuth } from './plugins/auth.ts';
import { registerOpenApi } from './plugins/openapi.ts';
import { registerProblemErrors } from './plugins/problem-errors.ts';
import { registerRateLimits } from './plugins/rate-limits.ts';
import { registerRequestInput } from './plugins/request-input.ts';
import { registerTracing } from './plugins/tracing.ts';
import { healthRoutes } from './routes/health.ts';
import { adminEncryptionKeyRoutes } from './routes/v1/admin-encryption-keys.ts';
import { adminTenantRoutes } from './routes/v1/admin-tenants.ts';
import { alertRoutes } from './routes/v1/alerts.ts';
import { consoleSessionRoutes } from './routes/v1/console-session.ts';
import { deliveryRoutes } from './routes/v1/deliveries.ts';
import { destinationRoutes } from './routes/v1/destinations.ts';
import { dlqRoutes, operatorDlqMount, tenantDlqMount } from './routes/v1/dlq.ts';
import { eventRoutes } from './routes/v1/events.ts';
import { portalRoutes } from './routes/v1/portal.ts';
import { statsRoutes } from './routes/v1/stats.ts';
import { webAppRoutes } from './routes/web-app.ts';

export interface AppDeps extends ServiceDeps {
  config: ServiceDeps['config'] & Pick<Config, 'HTTP_REQUEST_TIMEOUT_MS'> & Partial<Pick<Config, 'PUBLIC_URL'>>;
  /** The built console and portal pages (apps/console/dist by default). */
  webAppDir?: string;
}

export const MAX_BODY_BYTES = 1024 * 1024;
// How much longer than the request timeout an answer may take before the client gets a 503.
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
  await registerTracing(app);

  const services = createApiServices(deps);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    services.metrics.httpDuration.observe(
      { method: request.method, route, status: reply.statusCode },
      reply.elapsedTime / 1000,
    );
  });
  app.addHook('onClose', () => services.close());

  registerProblemErrors(app);
  registerAuth(app, { apiKeys: services.apiKeys, consoleSessions: services.consoleSessions, portal: services.portal });
  const limiter = (keyPrefix: string) => createLeasedLimiter({ redis: deps.redis, keyPrefix, logger: deps.logger });
  registerRateLimits(app, {
    limits: services.tenantLimits,
    limiters: { ingest: limiter('sluice:rate:ingest:'), destinationTests: limiter('sluice:rate:destination-tests:') },
  });
  await registerOpenApi(app, { publicUrl: deps.config.PUBLIC_URL });

  await app.register(
    healthRoutes({
      checks: {
        postgres: async () => (await deps.database.pool.query('select 1')).rowCount === 1,
        redis: () => redisIsUp(deps.redis),
      },
      metrics: async () => ({
        contentType: services.metrics.registry.contentType,
        body: await services.metrics.registry.metrics(),
      }),
    }),
  );
  await app.register(adminTenantRoutes({ tenants: services.tenants, apiKeys: services.apiKeys }));
  await app.register(adminEncryptionKeyRoutes({ sealedSecrets: services.sealedSecrets, secrets: deps.aws.secrets }));
  await app.register(eventRoutes({ service: services.events }));
  await app.register(destinationRoutes({ service: services.destinations, previews: services.previews }));
  await app.register(deliveryRoutes({ service: services.deliveries }));
  await app.register(dlqRoutes({ service: services.dlq, mount: tenantDlqMount }));
  await app.register(dlqRoutes({ service: services.dlq, mount: operatorDlqMount }));
  await app.register(alertRoutes({ service: services.alerts }));
  await app.register(statsRoutes({ stats: services.stats }));
  await app.register(portalRoutes({ portal: services.portal, publicUrl: deps.config.PUBLIC_URL }));
  await app.register(consoleSessionRoutes({ sessions: services.consoleSessions, tenantName: services.tenantName }));
  await app.register(
    webAppRoutes({
      distDir: deps.webAppDir ?? consoleDistDir,
      portalFrameAncestors: services.portalFrameAncestors,
    }),
  );
  return app;
}
