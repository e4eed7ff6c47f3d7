import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { fastifyZodOpenApiPlugin, fastifyZodOpenApiTransformers } from 'fastify-zod-openapi';

/** The OpenAPI 3.1 document is generated from the routes' zod schemas: it cannot drift. */
export async function registerOpenApi(app: FastifyInstance) {
  await app.register(fastifyZodOpenApiPlugin);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Sluice API',
        version: '1.0.0',
        description: [
          'Multi-tenant event delivery to AWS destinations. Errors are application/problem+json (RFC 9457) with a stable `code`.',
          '**Rate limits.** Each tenant has an ingest bucket of `ingestBurst` events refilled at `ingestPerSecond` ' +
            '(`GET /v1/admin/tenants/{tenantId}`), shared by every API process; a batch spends one per event. Answers of ' +
            '`/v1/events*` carry `RateLimit-Limit` (the bucket size), `RateLimit-Remaining` and `RateLimit-Reset` (seconds ' +
            'until the bucket is full). Over the limit: 429 `rate_limited` with `Retry-After` (seconds); a batch larger than ' +
            'the bucket is refused whatever the wait (split it). `POST /v1/destinations/{id}/test` has a bucket of its own ' +
            '(`destinationTestsPerMinute`). Destination quotas, per tenant and per customer: 422 `quota_exceeded`.',
          '**Input.** A NUL character or a lone surrogate in any string of the path, the query or the body is a 400 ' +
            '`validation_failed` naming the field. Numbers in `payload` and `metadata` keep every digit (integers beyond ' +
            '2^53 included) through storage, reads and delivery. A POST that takes no body accepts an empty one.',
          '**Outages.** While PostgreSQL or Redis is away or hangs, a request gets a quick 503 `service_unavailable` with ' +
            '`Retry-After` rather than a hang (an event already stored is still accepted: its delivery waits). A request ' +
            'must arrive whole within `HTTP_REQUEST_TIMEOUT_MS` (408).',
        ].join('\n\n'),
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    ...fastifyZodOpenApiTransformers,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true }, config: { access: 'public' } }, async () => app.swagger());
}
