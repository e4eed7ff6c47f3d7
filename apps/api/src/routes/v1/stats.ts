import { errorResponses, idFilterSchema } from '@sluice/contracts/common';
import { statsQuerySchema, statsSchema } from '@sluice/contracts/stats';
import type { FastifyPluginAsyncZodOpenApi } from 'fastify-zod-openapi';
import { scopeOf } from '../../plugins/auth.ts';
import type { StatsService } from '../../services/stats-service.ts';

// The nil UUID: no destination has it, so a scope naming it reads zeros.
const NO_DESTINATION = '00000000-0000-0000-0000-000000000000';
const tags = ['Stats'];
const description =
  'Delivered, retried and dead per interval with accept-to-delivery latency (p50, p99) from a per-minute ' +
  'rollup, and the backlog now: pending deliveries, the oldest one’s creation, open dead-letter entries.';

export function statsRoutes(deps: { stats: StatsService }): FastifyPluginAsyncZodOpenApi {
  return async (app) => {
    app.get('/v1/stats', {
      config: { access: 'customerData' },
      schema: {
        tags,
        operationId: 'getStats',
        summary: 'Delivery stats and backlog',
        description,
        querystring: statsQuerySchema,
        response: { 200: statsSchema, ...errorResponses(400, 401, 403) },
      },
      handler: async (request) => {
        const { tenantId, customerExternalId: own } = scopeOf(request);
        const { customerExternalId, destinationId, ...query } = request.query;
        // A portal token reads only its customer's numbers: another customer's read as an unknown
        // destination's (zeros), as its resources are 404 to it.
        const other = own !== undefined && customerExternalId !== undefined && customerExternalId !== own;
        const scope = {
          tenantId,
          customerExternalId: own ?? customerExternalId,
          destinationId: other ? NO_DESTINATION : destinationId,
        };
        return deps.stats.read(scope, query);
      },
    });

    app.get('/v1/admin/stats', {
      config: { access: 'operator' },
      schema: {
        tags,
        operationId: 'adminGetStats',
        summary: 'Delivery stats and backlog across tenants',
        description: `${description} Across every tenant, or one (tenantId).`,
        querystring: statsQuerySchema.safeExtend({ tenantId: idFilterSchema.optional() }),
        response: { 200: statsSchema, ...errorResponses(400, 401, 403) },
      },
      handler: async (request) => {
        const { tenantId, customerExternalId, destinationId, ...query } = request.query;
        return deps.stats.read({ tenantId: tenantId ?? null, customerExternalId, destinationId }, query);
      },
    });
  };
}
