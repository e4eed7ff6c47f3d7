import { errorResponses, listQuerySchema, listResponse, pathIdSchema } from '@sluice/contracts/common';
import { deliveryListQuerySchema, deliverySchema, deliveryWithAttemptsSchema } from '@sluice/contracts/deliveries';

import type { FastifyPluginAsyncZodOpenApi } from 'fastify-zod-openapi';
import { z } from 'zod';
import { scopeOf } from '../../plugins/auth.ts';
import type { DeliveryService } from '../../services/delivery-service.ts';

const config = { access: 'customerData' as const };
const tags = ['Deliveries'];

export function deliveryRoutes(deps: { service: DeliveryService }): FastifyPluginAsyncZodOpenApi {
  return async (app) => {
    app.get('/v1/deliveries', {
      config,
      schema: {
        tags,
        operationId: 'listDeliveries',
        summary: 'List deliveries, newest first',
        querystring: listQuerySchema.extend(deliveryListQuerySchema.shape),
        response: { 200: listResponse(deliverySchema), ...errorResponses(400, 401, 403) },
      },
      handler: async (request) => {
        const { limit, cursor, ...filters } = request.query;
        const { tenantId, customerExternalId } = scopeOf(request);
        return deps.service.list(tenantId, { ...filters, customerExternalId }, { limit, after: cursor });
      },
    });

    app.get('/v1/deliveries/:id', {
      config,
      schema: {
        tags,
        operationId: 'getDelivery',
        summary: 'Get a delivery and its attempt log',
        params: z.object({ id: pathIdSchema }),
        response: { 200: deliveryWithAttemptsSchema, ...errorResponses(401, 403, 404) },
      },
      handler: async (request) => {
        const { tenantId, customerExternalId } = scopeOf(request);
        return deps.service.get(tenantId, request.params.id, customerExternalId);
      },
    });
  };
}
