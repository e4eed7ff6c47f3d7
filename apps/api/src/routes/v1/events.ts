import { errorResponses, listQuerySchema, listResponse, pathIdSchema } from '@sluice/contracts/common';
import {
  batchResultSchema,
  eventAcceptedSchema,
  eventBatchInputSchema,
  eventInputSchema,
  eventListQuerySchema,
  eventSchema,
  eventWithDeliveriesSchema,
} from '@sluice/contracts/events';
import { AppError } from '@sluice/errors/app-error';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZodOpenApi } from 'fastify-zod-openapi';
import { z } from 'zod';
import { tenantOf } from '../../plugins/auth.ts';
import type { EventService } from '../../services/event-service.ts';

// Reads show the tenant's ingest bucket in their headers; writes spend it, one token per event.
const config = { access: 'events' as const, rateLimit: { bucket: 'ingest' as const } };
const oneEvent = { ...config, rateLimit: { bucket: 'ingest' as const, cost: () => 1 } };
const eachEvent = {
  ...config,
  rateLimit: { bucket: 'ingest' as const, cost: (request: FastifyRequest) => eventCount(request.body) },
  bodyItemsCheckedAlone: true,
};

function eventCount(body: unknown): number {
  return typeof body === 'object' && body !== null && 'events' in body && Array.isArray(body.events)
    ? body.events.length
    : 1;
}
const tags = ['Events'];

export function eventRoutes(deps: { service: EventService }): FastifyPluginAsyncZodOpenApi {
  return async (app) => {
    app.post('/v1/events', {
      config: oneEvent,
      schema: {
        tags,
        operationId: 'sendEvent',
        summary: 'Send one event',
        description:
          '202 once the event is durably stored. The same idempotencyKey with the same body again answers 200 ' +
          'with the first event’s id and `duplicate: true` (nothing is delivered twice); with another body, 409 ' +
          '`idempotency_conflict`. Safe to retry.',
        'x-problem-codes': { 409: ['idempotency_conflict'] },
        'x-idempotent': true,
        body: eventInputSchema,
        response: {
          200: eventAcceptedSchema,
          202: eventAcceptedSchema,
          ...errorResponses(400, 401, 403, 409, 413, 429),
        },
      },
      handler: async (request, reply) => {
        const result = await deps.service.ingestOne(tenantOf(request).tenantId, request.body);
        if (result.status === 'rejected') {
          throw new AppError(
            'idempotency_conflict',
            409,
            'This idempotencyKey was already used for an event with a different body.',
          );
        }
        const duplicate = result.status === 'duplicate';
        return reply.status(duplicate ? 200 : 202).send({ id: result.id, status: 'accepted', duplicate });
      },
    });

    app.post('/v1/events/batch', {
      config: eachEvent,
      schema: {
        tags,
        operationId: 'sendEventBatch',
        summary: 'Send up to 500 events in one request',
        description:
          'Each event is accepted, a duplicate, or rejected on its own (one result per input, in order); a ' +
          'rejected event does not stop the others. Safe to retry, as each event carries its idempotencyKey.',
        'x-idempotent': true,
        body: eventBatchInputSchema,
        response: { 200: batchResultSchema, ...errorResponses(400, 401, 403, 413, 429) },
      },
      handler: async (request) => ({
        results: await deps.service.ingestBatch(tenantOf(request).tenantId, request.body.events),
      }),
    });

    app.get('/v1/events/:id', {
      config,
      schema: {
        tags,
        operationId: 'getEvent',
        summary: 'Get an event and its deliveries',
        params: z.object({ id: pathIdSchema }),
        response: { 200: eventWithDeliveriesSchema, ...errorResponses(401, 403, 404) },
      },
      handler: async (request) => deps.service.get(tenantOf(request).tenantId, request.params.id),
    });

    app.get('/v1/events', {
      config,
      schema: {
        tags,
        operationId: 'listEvents',
        summary: 'List events, newest first',
        querystring: listQuerySchema.extend(eventListQuerySchema.shape),
        response: { 200: listResponse(eventSchema), ...errorResponses(400, 401, 403) },
      },
      handler: async (request) => {
        const { limit, cursor, ...filters } = request.query;
        return deps.service.list(tenantOf(request).tenantId, filters, { limit, after: cursor });
      },
    });
  };
}
