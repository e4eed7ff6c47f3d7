import { errorResponses } from '@sluice/contracts/common';
import {
  createPortalSessionSchema,
  portalCodeExchangeSchema,
  portalExchangeResultSchema,
  portalSessionSchema,
  revokePortalSessionsQuerySchema,
} from '@sluice/contracts/portal';
import type { FastifyPluginAsyncZodOpenApi } from 'fastify-zod-openapi';
import { z } from 'zod';
import { tenantOf } from '../../plugins/auth.ts';
import type { PortalService } from '../../services/portal-service.ts';

const tags = ['Customer portal'];

export function portalRoutes(deps: {
  portal: PortalService;
  publicUrl: string | undefined;
}): FastifyPluginAsyncZodOpenApi {
  return async (app) => {
    app.post('/v1/portal/sessions', {
      config: { access: 'tenantAdmin' },
      schema: {
        tags,
        operationId: 'createPortalSession',
        summary: 'Open a customer portal session',
        description:
          'The token acts as an admin key that sees only this customer, on /v1/destinations*, /v1/deliveries*, ' +
          '/v1/dlq* and /v1/stats, until expiresAt; it cannot ingest or reach /v1/admin. Only its hash is stored.',
        body: createPortalSessionSchema,
        response: { 201: portalSessionSchema, ...errorResponses(400, 401, 403) },
      },
      handler: async (request, reply) => {
        const baseUrl = deps.publicUrl ?? `${request.protocol}://${request.host}`;
        const session = await deps.portal.createSession({
          tenantId: tenantOf(request).tenantId,
          ...request.body,
          baseUrl,
        });
        return reply.status(201).send(session);
      },
    });

    app.delete('/v1/portal/sessions', {
      config: { access: 'tenantAdmin' },
      schema: {
        tags,
        operationId: 'revokePortalSessions',
        summary: 'Revoke every portal token of a customer',
        description: 'Every token of the customer answers 401 from then on, in every API process.',
        querystring: revokePortalSessionsQuerySchema,
        response: { 204: z.null(), ...errorResponses(400, 401, 403) },
      },
      handler: async (request, reply) => {
        await deps.portal.revokeCustomer(tenantOf(request).tenantId, request.query.customerExternalId);
        return reply.status(204).send(null);
      },
    });

    app.post('/v1/portal/exchange', {
      config: { access: 'public' },
      schema: {
        tags,
        operationId: 'exchangePortalCode',
        summary: "Trade a portal URL's single-use code for the portal page's own token",
        security: [],
        description:
          'Used by the portal page: the code from the URL fragment works once, within 5 minutes; the token it ' +
          'answers is held in the page’s memory only and ends with the session.',
        body: portalCodeExchangeSchema,
        response: { 200: portalExchangeResultSchema, ...errorResponses(400, 401) },
      },
      handler: async (request) => deps.portal.exchangeCode(request.body.code),
    });
  };
}
