import { alertListQuerySchema, alertSchema } from '@sluice/contracts/alerts';
import { errorResponses, listQuerySchema, listResponse } from '@sluice/contracts/common';
import type { FastifyPluginAsyncZodOpenApi } from 'fastify-zod-openapi';
import { scopeOf } from '../../plugins/auth.ts';
import type { AlertService } from '../../services/alert-service.ts';

export function alertRoutes(deps: { service: AlertService }): FastifyPluginAsyncZodOpenApi {
  return async (app) => {
    app.get('/v1/alerts', {
      config: { access: 'customerData' },
      schema: {
        tags: ['Alerts'],
        operationId: 'listAlerts',
        summary: 'Open alerts',
        description:
          'Alerts open now, newest first. A destination opens one when a rule of its `alerts` is crossed ' +
          '(open dead letters, age of the oldest pending delivery, time failing) and emits the event ' +
          '`sluice.alert.opened` (source `sluice`, idempotencyKey `sluice.alert.<id>.opened`) for its tenant and ' +
          'customer, delivered to that customer’s destinations whose eventTypes match, never to the destination ' +
          'it is about; `sluice.alert.resolved` follows once the value is back at or below 80% of the threshold ' +
          '(failing: once the destination has not been failing for a fifth of the rule’s time). Payload: ' +
          '`{ destinationId, destinationName, rule, value, threshold, since }`, `since` being when the alert ' +
          'opened. A portal token sees its own customer’s alerts only.',
        querystring: listQuerySchema.extend(alertListQuerySchema.shape),
        response: { 200: listResponse(alertSchema), ...errorResponses(400, 401, 403) },
      },
      handler: async (request) => {
        const { limit, cursor, ...filters } = request.query;
        return deps.service.listOpen(scopeOf(request), filters, { limit, after: cursor });
      },
    });
  };
}
