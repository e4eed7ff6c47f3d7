import { errorResponses, listQuerySchema, listResponse, pathIdSchema } from '@sluice/contracts/common';
import {
  bulkReplayAcceptedSchema,
  bulkReplaySchema,
  dlqEntryDetailSchema,
  dlqEntrySchema,
  dlqFiltersSchema,
  operatorDlqFiltersSchema,
  replayAcceptedSchema,
} from '@sluice/contracts/dlq';
import type { DlqActor, DlqScope } from '@sluice/db/repositories/dlq-repository';
import { forbidden } from '@sluice/errors/app-error';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZodOpenApi } from 'fastify-zod-openapi';
import { z } from 'zod';
import { scopeOf } from '../../plugins/auth.ts';
import type { DlqService } from '../../services/dlq-service.ts';

/**
 * The dead-letter queue, mounted twice with the same shapes: /v1/dlq for a tenant's admin
 * key (its own entries), /v1/admin/dlq for the operator (every tenant's, `tenantId` narrows).
 */
interface Mount {
  prefix: '/v1/dlq' | '/v1/admin/dlq';
  access: 'customerData' | 'operator';
  filters: typeof dlqFiltersSchema | typeof operatorDlqFiltersSchema;
  scope(request: FastifyRequest, tenantId: string | undefined): DlqScope;
  /** Operation ids differ per mount (they name SDK methods): `listDlqEntries`, `adminListDlqEntries`. */
  operationId(name: string): string;
  /** Whose entries, for the operations' summaries. */
  whose: string;
}

export const tenantDlqMount: Mount = {
  prefix: '/v1/dlq',
  access: 'customerData',
  filters: dlqFiltersSchema,
  scope: (request) => scopeOf(request),
  operationId: (name) => name,
  whose: 'the tenant’s own (a portal token: its customer’s)',
};

export const operatorDlqMount: Mount = {
  prefix: '/v1/admin/dlq',
  access: 'operator',
  filters: operatorDlqFiltersSchema,
  scope: (_request, tenantId) => ({ allTenants: true, tenantId }),
  operationId: (name) => `admin${name[0]!.toUpperCase()}${name.slice(1)}`,
  whose: 'any tenant’s (the operator; `tenantId` narrows)',
};

function actorOf(request: FastifyRequest): DlqActor {
  const principal = request.principal;
  if (principal?.kind === 'tenant') return { kind: 'api_key', keyId: principal.keyId };
  if (principal?.kind === 'customer') return { kind: 'portal_token', keyId: principal.tokenId };
  return { kind: 'operator' };
}

/** A portal token's bulk replay is of its own customer's entries; its stored filter says so. */
function customerFilters<T extends { customerExternalId?: string | undefined }>(
  request: FastifyRequest,
  filters: T,
): T {
  const principal = request.principal;
  if (principal?.kind !== 'customer') return filters;
  if (filters.customerExternalId !== undefined && filters.customerExternalId !== principal.customerExternalId) {
    throw forbidden('This portal token replays only its own customer’s entries.');
  }
  return { ...filters, customerExternalId: principal.customerExternalId };
}

const tenantIdOf = (query: unknown) =>
  typeof query === 'object' && query !== null && 'tenantId' in query && typeof query.tenantId === 'string'
    ? query.tenantId
    : undefined;

export function dlqRoutes(deps: { service: DlqService; mount: Mount }): FastifyPluginAsyncZodOpenApi {
  const { service, mount } = deps;
  const config = { access: mount.access };
  const tags = ['Dead-letter queue'];
  const operation = (name: string, summary: string) => ({
    operationId: mount.operationId(name),
    summary: `${summary}: ${mount.whose}`,
  });
  const params = z.object({ id: pathIdSchema });
  const scopeQuery = mount.access === 'operator' ? operatorDlqFiltersSchema.pick({ tenantId: true }) : z.object({});

  return async (app) => {
    app.get(mount.prefix, {
      config,
      schema: {
        tags,
        ...operation('listDlqEntries', 'List dead-letter entries, newest first'),
        querystring: listQuerySchema.extend(mount.filters.shape),
        response: { 200: listResponse(dlqEntrySchema), ...errorResponses(400, 401, 403) },
      },
      handler: async (request) => {
        const { limit, cursor, ...filters } = request.query;
        return service.list(mount.scope(request, tenantIdOf(filters)), filters, { limit, after: cursor });
      },
    });

    app.get(`${mount.prefix}/:id`, {
      config,
      schema: {
        tags,
        ...operation('getDlqEntry', 'Get a dead-letter entry with its event and attempt log'),
        params,
        querystring: scopeQuery,
        response: { 200: dlqEntryDetailSchema, ...errorResponses(401, 403, 404) },
      },
      handler: async (request) => service.get(mount.scope(request, tenantIdOf(request.query)), request.params.id),
    });

    app.post(`${mount.prefix}/:id/replay`, {
      config,
      schema: {
        tags,
        ...operation('replayDlqEntry', 'Replay a dead-letter entry'),
        'x-problem-codes': { 409: ['not_replayable', 'destination_deleted', 'destination_disabled'] },
        description:
          'Delivers the entry again, with the same MessageDeduplicationId. 409 when its destination is deleted or disabled.',
        params,
        querystring: scopeQuery,
        response: { 202: replayAcceptedSchema, ...errorResponses(401, 403, 404, 409) },
      },
      handler: async (request, reply) =>
        reply
          .status(202)
          .send(
            await service.replay(mount.scope(request, tenantIdOf(request.query)), request.params.id, actorOf(request)),
          ),
    });

    app.post(`${mount.prefix}/:id/discard`, {
      config,
      schema: {
        tags,
        ...operation('discardDlqEntry', 'Discard a dead-letter entry'),
        'x-problem-codes': { 409: ['not_replayable'] },
        params,
        querystring: scopeQuery,
        response: { 204: z.null(), ...errorResponses(401, 403, 404, 409) },
      },
      handler: async (request, reply) => {
        await service.discard(mount.scope(request, tenantIdOf(request.query)), request.params.id, actorOf(request));
        return reply.status(204).send(null);
      },
    });

    app.post(`${mount.prefix}/replay`, {
      config,
      schema: {
        tags,
        ...operation('startDlqReplay', 'Replay every matching dead-letter entry in the background'),
        description:
          'Replays, in the background and at a controlled rate, every open entry that matches the filters now. ' +
          'Without a body (or with {}), every open entry.',
        body: mount.filters.strict().nullish(),
        response: { 202: bulkReplayAcceptedSchema, ...errorResponses(400, 401, 403) },
      },
      handler: async (request, reply) => {
        const filters = customerFilters(request, request.body ?? {});
        return reply
          .status(202)
          .send(await service.startBulkReplay(mount.scope(request, tenantIdOf(filters)), filters, actorOf(request)));
      },
    });

    app.get(`${mount.prefix}/replays/:replayId`, {
      config,
      schema: {
        tags,
        ...operation('getDlqReplay', 'Follow a bulk replay'),
        params: z.object({ replayId: pathIdSchema }),
        response: { 200: bulkReplaySchema, ...errorResponses(401, 403, 404) },
      },
      handler: async (request) => service.getBulkReplay(mount.scope(request, undefined), request.params.replayId),
    });
  };
}
