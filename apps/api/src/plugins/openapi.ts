import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { fastifyZodOpenApiPlugin, fastifyZodOpenApiTransformers } from 'fastify-zod-openapi';
import { polishDocument } from './openapi-document.ts';

/**
 * The OpenAPI 3.1 document is generated from the routes' zod schemas: it cannot drift. The
 * SDK (packages/sdk) is generated from it in turn, and `redocly lint` checks it in the tests.
 */
export async function registerOpenApi(app: FastifyInstance, options: { publicUrl: string | undefined }) {
  await app.register(fastifyZodOpenApiPlugin);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Sluice API',
        version: '1.0.0',
        description: [
          'Multi-tenant event delivery to AWS destinations (SQS, SNS, Kinesis, EventBridge). Authenticate with ' +
            '`Authorization: Bearer <key>`. Errors are `application/problem+json` (RFC 9457) with a stable ' +
            '`code`. Lists take `?limit=` (1..200) and `?cursor=` and answer `{ data, nextCursor }`, newest first. ' +
            'Every GET, and every operation marked `x-idempotent: true`, is safe to retry.',
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
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'The operator key, a tenant API key (scopes ingest, admin) or a customer portal token',
          },
        },
      },
      security: [{ bearer: [] }],
    },
    transform: fastifyZodOpenApiTransformers.transform,
    transformObject: (documentObject) => {
      const document = fastifyZodOpenApiTransformers.transformObject(documentObject);
      return 'openapi' in document ? polishDocument(document) : document;
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  // `servers` names this API as the caller reaches it (or PUBLIC_URL), so the document works as
  // served with any client generator or "try it" button.
  app.get('/openapi.json', { schema: { hide: true }, config: { access: 'public' } }, async (request) => ({
    ...app.swagger(),
    servers: [{ url: options.publicUrl ?? `${request.protocol}://${request.host}`, description: 'This Sluice API' }],
  }));
}
