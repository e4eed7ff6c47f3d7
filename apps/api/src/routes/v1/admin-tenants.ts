import { errorResponses, listQuerySchema, listResponse } from '@sluice/contracts/common';
import {
  createApiKeySchema,
  createdApiKeySchema,
  createTenantSchema,
  keyParamsSchema,
  tenantParamsSchema,
  tenantSchema,
  tenantWithLimitsSchema,
  updateTenantSchema,
} from '@sluice/contracts/tenants';
import type { TenantsRepository } from '@sluice/db/repositories/tenants-repository';
import type { TenantRow } from '@sluice/db/schema';
import { notFound } from '@sluice/errors/app-error';
import type { FastifyPluginAsyncZodOpenApi } from 'fastify-zod-openapi';
import { z } from 'zod';
import type { ApiKeyService } from '../../services/api-key-service.ts';
import type { TenantLimitsService } from '../../services/tenant-limits-service.ts';

const tenantView = (row: TenantRow) => ({ id: row.id, name: row.name, createdAt: row.createdAt.toISOString() });
const config = { access: 'operator' as const };
const tags = ['Tenants and keys'];

export function adminTenantRoutes(deps: {
  tenants: TenantsRepository;
  apiKeys: ApiKeyService;
  limits: Pick<TenantLimitsService, 'forTenant' | 'update'>;
}): FastifyPluginAsyncZodOpenApi {
  const withLimits = async (row: TenantRow) => ({ ...tenantView(row), limits: await deps.limits.forTenant(row.id) });

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
      schema: {
        tags,
        params: tenantParamsSchema,
        response: { 200: tenantWithLimitsSchema, ...errorResponses(401, 403, 404) },
      },
      handler: async (request) => {
        const row = await deps.tenants.get(request.params.tenantId);
        if (!row) throw notFound('Tenant');
        return withLimits(row);
      },
    });

    app.patch('/v1/admin/tenants/:tenantId', {
      config,
      schema: {
        tags,
        description: 'Renames the tenant and sets its limits; a limit set to null goes back to the service default.',
        params: tenantParamsSchema,
        body: updateTenantSchema,
        response: { 200: tenantWithLimitsSchema, ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request) => {
        const { tenantId } = request.params;
        const { name, limits } = request.body;
        const row = name === undefined ? await deps.tenants.get(tenantId) : await deps.tenants.rename(tenantId, name);
        if (!row) throw notFound('Tenant');
        if (limits) await deps.limits.update(tenantId, limits);
        return withLimits(row);
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
