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
        description:
          'Multi-tenant event delivery to AWS destinations (SQS, SNS, Kinesis). Authenticate with ' +
          '`Authorization: Bearer <key>`. Errors are `application/problem+json` (RFC 9457) with a stable ' +
          '`code`. Lists take `?limit=` (1..200) and `?cursor=` and answer `{ data, nextCursor }`, newest first. ' +
          'Every GET, and every operation marked `x-idempotent: true`, is safe to retry.',
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
