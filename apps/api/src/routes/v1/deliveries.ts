import { errorResponses, idSchema, listQuerySchema, listResponse } from '@sluice/contracts/common';
import { deliveryListQuerySchema, deliverySchema, deliveryWithAttemptsSchema } from '@sluice/contracts/deliveries';
import type { DeliveriesRepository } from '@sluice/db/repositories/deliveries-repository';
import { notFound } from '@sluice/errors/app-error';
import type { FastifyPluginAsyncZodOpenApi } from 'fastify-zod-openapi';
import { z } from 'zod';
import { scopeOf } from '../../plugins/auth.ts';
import { toAttemptView, toDeliveryView } from '../../services/delivery-views.ts';

const config = { access: 'customerData' as const };
const tags = ['Deliveries'];

export function deliveryRoutes(deps: {
  deliveries: Pick<DeliveriesRepository, 'list' | 'get' | 'attemptLog'>;
}): FastifyPluginAsyncZodOpenApi {
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
        const { tenantId, customerExternalId } = scopeOf(request);
        const page = await deps.deliveries.list(tenantId, { ...filters, customerExternalId }, { limit, cursor });
        return { data: page.data.map(toDeliveryView), nextCursor: page.nextCursor };
      },
    });

    app.get('/v1/deliveries/:id', {
      config,
      schema: {
        tags,
        params: z.object({ id: idSchema }),
        response: { 200: deliveryWithAttemptsSchema, ...errorResponses(401, 403, 404) },
      },
      handler: async (request) => {
        const { tenantId, customerExternalId } = scopeOf(request);
        const row = await deps.deliveries.get(tenantId, request.params.id, customerExternalId);
        if (!row) throw notFound('Delivery');
        return { ...toDeliveryView(row), attemptLog: (await deps.deliveries.attemptLog(row.id)).map(toAttemptView) };
      },
    });
  };
}
