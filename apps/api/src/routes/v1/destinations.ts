import { errorResponses, idSchema, listQuerySchema, listResponse } from '@sluice/contracts/common';
import {
  createDestinationSchema,
  destinationListQuerySchema,
  destinationSchema,
  destinationTestResultSchema,
  updateDestinationSchema,
} from '@sluice/contracts/destinations';
import type { FastifyPluginAsyncZodOpenApi } from 'fastify-zod-openapi';
import { z } from 'zod';
import { tenantOf } from '../../plugins/auth.ts';
import type { DestinationService } from '../../services/destination-service.ts';

const config = { access: 'tenantAdmin' as const };
const tags = ['Destinations'];
const params = z.object({ id: idSchema });

export function destinationRoutes(deps: { service: DestinationService }): FastifyPluginAsyncZodOpenApi {
  const { service } = deps;
  return async (app) => {
    app.post('/v1/destinations', {
      config,
      schema: {
        tags,
        body: createDestinationSchema,
        response: { 201: destinationSchema, ...errorResponses(400, 401, 403, 422) },
      },
      handler: async (request, reply) =>
        reply.status(201).send(await service.create(tenantOf(request).tenantId, request.body)),
    });

    app.get('/v1/destinations', {
      config,
      schema: {
        tags,
        querystring: listQuerySchema.extend(destinationListQuerySchema.shape),
        response: { 200: listResponse(destinationSchema), ...errorResponses(400, 401, 403) },
      },
      handler: async (request) => {
        const { limit, cursor, ...filters } = request.query;
        return service.list(tenantOf(request).tenantId, filters, { limit, cursor });
      },
    });

    app.get('/v1/destinations/:id', {
      config,
      schema: { tags, params, response: { 200: destinationSchema, ...errorResponses(401, 403, 404) } },
      handler: async (request) => service.get(tenantOf(request).tenantId, request.params.id),
    });

    app.patch('/v1/destinations/:id', {
      config,
      schema: {
        tags,
        params,
        body: updateDestinationSchema,
        response: { 200: destinationSchema, ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request) => service.update(tenantOf(request).tenantId, request.params.id, request.body),
    });

    app.delete('/v1/destinations/:id', {
      config,
      schema: {
        tags,
        description:
          'Deletes the destination; its pending deliveries go to the dead-letter queue (destination_deleted).',
        params,
        response: { 204: z.null(), ...errorResponses(401, 403, 404) },
      },
      handler: async (request, reply) => {
        await service.remove(tenantOf(request).tenantId, request.params.id);
        return reply.status(204).send(null);
      },
    });

    app.post('/v1/destinations/:id/test', {
      // Each test spends the service's own STS quota: per tenant, a few a minute.
      config: { ...config, rateLimit: { bucket: 'destinationTests' as const, cost: () => 1 } },
      schema: {
        tags,
        description:
          'Assumes the role, reads the queue/topic/stream attributes, and sends one message of eventType sluice.test.',
        params,
        response: { 200: destinationTestResultSchema, ...errorResponses(400, 401, 403, 404, 429) },
      },
      handler: async (request) => service.test(tenantOf(request).tenantId, request.params.id),
    });

    app.post('/v1/destinations/:id/pause', {
      config,
      schema: { tags, params, response: { 200: destinationSchema, ...errorResponses(401, 403, 404) } },
      handler: async (request) => service.pause(tenantOf(request).tenantId, request.params.id),
    });

    app.post('/v1/destinations/:id/resume', {
      config,
      schema: { tags, params, response: { 200: destinationSchema, ...errorResponses(401, 403, 404) } },
      handler: async (request) => service.resume(tenantOf(request).tenantId, request.params.id),
    });
  };
}
