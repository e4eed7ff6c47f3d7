import { errorResponses, listQuerySchema, listResponse } from '@sluice/contracts/common';
import {
  apiKeyListItemSchema,
  createApiKeySchema,
  createdApiKeySchema,
  createTenantSchema,
  keyParamsSchema,
  tenantParamsSchema,
  tenantSchema,
  tenantWithLimitsSchema,
  updateTenantSchema,
} from '@sluice/contracts/tenants';
import type { FastifyPluginAsyncZodOpenApi } from 'fastify-zod-openapi';
import { z } from 'zod';
import type { ApiKeyService } from '../../services/api-key-service.ts';
import type { TenantService } from '../../services/tenant-service.ts';

const config = { access: 'operator' as const };
const tags = ['Tenants and keys'];

export function adminTenantRoutes(deps: {
  tenants: TenantService;
  apiKeys: ApiKeyService;
}): FastifyPluginAsyncZodOpenApi {
  return async (app) => {
    app.post('/v1/admin/tenants', {
      config,
      schema: {
        tags,
        operationId: 'createTenant',
        summary: 'Create a tenant',
        body: createTenantSchema,
        response: { 201: tenantSchema, ...errorResponses(400, 401, 403) },
      },
      handler: async (request, reply) => reply.status(201).send(await deps.tenants.create(request.body.name)),
    });

    app.get('/v1/admin/tenants', {
      config,
      schema: {
        tags,
        operationId: 'listTenants',
        summary: 'List tenants',
        querystring: listQuerySchema,
        response: { 200: listResponse(tenantSchema), ...errorResponses(400, 401, 403) },
      },
      handler: async (request) => deps.tenants.list({ limit: request.query.limit, after: request.query.cursor }),
    });

    app.get('/v1/admin/tenants/:tenantId', {
      config,
      schema: {
        tags,
        operationId: 'getTenant',
        summary: 'Get a tenant',
        params: tenantParamsSchema,
        response: { 200: tenantWithLimitsSchema, ...errorResponses(401, 403, 404) },
      },
      handler: async (request) => deps.tenants.get(request.params.tenantId),
    });

    app.patch('/v1/admin/tenants/:tenantId', {
      config,
      schema: {
        tags,
        operationId: 'updateTenant',
        summary: 'Update a tenant',
        description:
          'Renames the tenant, sets its limits (a limit set to null goes back to the service default) and portal.frameAncestors (the origins allowed to embed its customer portal).',
        params: tenantParamsSchema,
        body: updateTenantSchema,
        response: { 200: tenantWithLimitsSchema, ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request) => deps.tenants.update(request.params.tenantId, request.body),
    });

    app.post('/v1/admin/tenants/:tenantId/api-keys', {
      config,
      schema: {
        tags,
        operationId: 'createApiKey',
        summary: 'Create an API key for a tenant',
        description: 'The answer holds the key itself, shown this once: only its SHA-256 is stored.',
        params: tenantParamsSchema,
        body: createApiKeySchema,
        response: { 201: createdApiKeySchema, ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request, reply) =>
        reply.status(201).send(await deps.apiKeys.createKey(request.params.tenantId, request.body)),
    });

    app.get('/v1/admin/tenants/:tenantId/api-keys', {
      config,
      schema: {
        tags,
        operationId: 'listApiKeys',
        summary: "List a tenant's API keys (never the keys themselves)",
        params: tenantParamsSchema,
        querystring: listQuerySchema,
        response: { 200: listResponse(apiKeyListItemSchema), ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request) =>
        deps.tenants.listApiKeys(request.params.tenantId, { limit: request.query.limit, after: request.query.cursor }),
    });

    app.delete('/v1/admin/api-keys/:keyId', {
      config,
      schema: {
        tags,
        operationId: 'revokeApiKey',
        summary: 'Revoke an API key',
        description: 'The key answers 401 from then on, in every API process within 2 seconds.',
        params: keyParamsSchema,
        response: { 204: z.null(), ...errorResponses(401, 403, 404) },
      },
      handler: async (request, reply) => {
        await deps.apiKeys.revokeKey(request.params.keyId);
        return reply.status(204).send(null);
      },
    });
  };
}
