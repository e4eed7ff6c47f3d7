import { errorResponses, listQuerySchema, listResponse } from '@sluice/contracts/common';
import {
  apiKeyListItemSchema,
  createApiKeySchema,
  createdApiKeySchema,
  createTenantSchema,
  keyParamsSchema,
  type Scope,
  tenantParamsSchema,
  tenantSchema,
  updateTenantSchema,
} from '@sluice/contracts/tenants';
import type { TenantsRepository } from '@sluice/db/repositories/tenants-repository';
import type { TenantRow } from '@sluice/db/schema';
import { notFound } from '@sluice/errors/app-error';
import type { FastifyPluginAsyncZodOpenApi } from 'fastify-zod-openapi';
import { z } from 'zod';
import type { ApiKeyService } from '../../services/api-key-service.ts';

const tenantView = (row: TenantRow) => ({
  id: row.id,
  name: row.name,
  createdAt: row.createdAt.toISOString(),
  portal: { frameAncestors: row.portalFrameAncestors },
});
const config = { access: 'operator' as const };
const tags = ['Tenants and keys'];

export function adminTenantRoutes(deps: {
  tenants: TenantsRepository;
  apiKeys: ApiKeyService;
}): FastifyPluginAsyncZodOpenApi {
  return async (app) => {
    app.post('/v1/admin/tenants', {
      config,
      schema: { tags, body: createTenantSchema, response: { 201: tenantSchema, ...errorResponses(400, 401, 403) } },
      handler: async (request, reply) =>
        reply.status(201).send(tenantView(await deps.tenants.create(request.body.name))),
    });

    app.get('/v1/admin/tenants', {
      config,
      schema: {
        tags,
        querystring: listQuerySchema,
        response: { 200: listResponse(tenantSchema), ...errorResponses(400, 401, 403) },
      },
      handler: async (request) => {
        const page = await deps.tenants.list(request.query);
        return { data: page.data.map(tenantView), nextCursor: page.nextCursor };
      },
    });

    app.get('/v1/admin/tenants/:tenantId', {
      config,
      schema: { tags, params: tenantParamsSchema, response: { 200: tenantSchema, ...errorResponses(401, 403, 404) } },
      handler: async (request) => {
        const row = await deps.tenants.get(request.params.tenantId);
        if (!row) throw notFound('Tenant');
        return tenantView(row);
      },
    });

    app.patch('/v1/admin/tenants/:tenantId', {
      config,
      schema: {
        tags,
        description: 'portal.frameAncestors: the origins allowed to embed this tenant’s customer portal.',
        params: tenantParamsSchema,
        body: updateTenantSchema,
        response: { 200: tenantSchema, ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request) => {
        const { name, portal } = request.body;
        const row = await deps.tenants.update(request.params.tenantId, {
          ...(name !== undefined ? { name } : {}),
          ...(portal ? { portalFrameAncestors: portal.frameAncestors } : {}),
        });
        if (!row) throw notFound('Tenant');
        return tenantView(row);
      },
    });

    app.post('/v1/admin/tenants/:tenantId/api-keys', {
      config,
      schema: {
        tags,
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
        params: tenantParamsSchema,
        querystring: listQuerySchema,
        response: { 200: listResponse(apiKeyListItemSchema), ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request) => {
        if (!(await deps.tenants.exists(request.params.tenantId))) throw notFound('Tenant');
        const page = await deps.tenants.listApiKeys(request.params.tenantId, request.query);
        return {
          data: page.data.map((row) => ({
            id: row.id,
            name: row.name,
            scopes: row.scopes.filter((scope): scope is Scope => scope === 'admin' || scope === 'ingest'),
            createdAt: row.createdAt.toISOString(),
            lastUsedAt: null,
            revokedAt: row.revokedAt?.toISOString() ?? null,
          })),
          nextCursor: page.nextCursor,
        };
      },
    });

    app.delete('/v1/admin/api-keys/:keyId', {
      config,
      schema: { tags, params: keyParamsSchema, response: { 204: z.null(), ...errorResponses(401, 403, 404) } },
      handler: async (request, reply) => {
        await deps.apiKeys.revokeKey(request.params.keyId);
        return reply.status(204).send(null);
      },
    });
  };
}
