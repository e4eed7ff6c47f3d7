import { errorResponses, listQuerySchema, listResponse, pathIdSchema } from '@sluice/contracts/common';
import { deliveryListQuerySchema, deliverySchema, deliveryWithAttemptsSchema } from '@sluice/contracts/deliveries';

import type { FastifyPluginAsyncZodOpenApi } from 'fastify-zod-openapi';
import { z } from 'zod';
import { tenantOf } from '../../plugins/auth.ts';
import type { DeliveryService } from '../../services/delivery-service.ts';

const config = { access: 'tenantAdmin' as const };
const tags = ['Deliveries'];

export function deliveryRoutes(deps: { service: DeliveryService }): FastifyPluginAsyncZodOpenApi {
  return async (app) => {
    app.get('/v1/deliveries', {
      config,
      schema: {
        tags,
        querystring: listQuerySchema.extend(deliveryListQuerySchema.shape),
        response: { 200: listResponse(deliverySchema), ...errorResponses(400, 401, 403) },
      },
      handler: async (request) => {
        const { limit, cursor, ...filters } = request.query;
        return deps.service.list(tenantOf(request).tenantId, filters, { limit, after: cursor });
      },
    });

    app.get('/v1/deliveries/:id', {
      config,
      schema: {
        tags,
        params: z.object({ id: pathIdSchema }),
        response: { 200: deliveryWithAttemptsSchema, ...errorResponses(401, 403, 404) },
      },
      handler: async (request) => deps.service.get(tenantOf(request).tenantId, request.params.id),
    });
  };
}
