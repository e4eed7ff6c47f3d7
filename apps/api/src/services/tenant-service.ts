import type { UpdateTenantInput } from '@sluice/contracts/tenants';
import type { PageRequest } from '@sluice/db/pagination';
import type { TenantsRepository } from '@sluice/db/repositories/tenants-repository';
import type { TenantRow } from '@sluice/db/schema/tenants';
import { notFound } from '@sluice/errors/app-error';
import { toApiKeyView, toTenantView } from '../views/records.ts';
import type { TenantLimitsService } from './tenant-limits-service.ts';

/** The operator's tenants and their settings (limits, portal). */
export function createTenantService(deps: {
  tenants: TenantsRepository;
  limits: Pick<TenantLimitsService, 'forTenant' | 'update'>;
}) {
  const withLimits = async (row: TenantRow) => ({ ...toTenantView(row), limits: await deps.limits.forTenant(row.id) });

  return {
    create: async (name: string) => toTenantView(await deps.tenants.create(name)),

    async list(page: PageRequest) {
      const result = await deps.tenants.list(page);
      return { data: result.data.map(toTenantView), nextCursor: result.nextCursor };
    },

    async get(tenantId: string) {
      const row = await deps.tenants.get(tenantId);
      if (!row) throw notFound('Tenant');
      return withLimits(row);
    },

    async update(tenantId: string, input: UpdateTenantInput) {
      const row = await deps.tenants.update(tenantId, {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.portal ? { portalFrameAncestors: input.portal.frameAncestors } : {}),
      });
      if (!row) throw notFound('Tenant');
      if (input.limits) await deps.limits.update(tenantId, input.limits);
      return withLimits(row);
    },

    /** The tenant's keys (never the keys themselves: only their names, scopes and dates). */
    async listApiKeys(tenantId: string, page: PageRequest) {
      if (!(await deps.tenants.exists(tenantId))) throw notFound('Tenant');
      const result = await deps.tenants.listApiKeys(tenantId, page);
      return { data: result.data.map(toApiKeyView), nextCursor: result.nextCursor };
    },
  };
}

export type TenantService = ReturnType<typeof createTenantService>;
