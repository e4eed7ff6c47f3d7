import type { PageRequest } from '@sluice/db/pagination';
import type { TenantsRepository } from '@sluice/db/repositories/tenants-repository';
import { toTenantView } from '../views/records.ts';

/** The operator's tenants. */
export function createTenantService(deps: { tenants: Pick<TenantsRepository, 'create' | 'list'> }) {
  return {
    create: async (name: string) => toTenantView(await deps.tenants.create(name)),
    async list(page: PageRequest) {
      const result = await deps.tenants.list(page);
      return { data: result.data.map(toTenantView), nextCursor: result.nextCursor };
    },
  };
}

export type TenantService = ReturnType<typeof createTenantService>;
