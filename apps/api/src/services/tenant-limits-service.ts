import type { TenantLimits } from '@sluice/config/env';
import type { TenantLimitsPatch } from '@sluice/contracts/tenant-limits';
import type { TenantLimitsRepository } from '@sluice/db/repositories/tenant-limits-repository';
import type { TenantLimitsRow } from '@sluice/db/schema/tenants';
import { createLoadingCache } from './loading-cache.ts';

// Changes reach every process through the change poll; this bounds an entry's life anyway.
const LIMITS_TTL_MS = 60_000;

/** The limits in force: the tenant's own where an operator set them, else the defaults. */
export function effectiveLimits(row: TenantLimitsRow | undefined, defaults: TenantLimits): TenantLimits {
  const ingestPerSecond = row?.ingestPerSecond ?? defaults.ingestPerSecond;
  return {
    ingestPerSecond,
    // A tenant given its own rate but no burst gets twice its rate, as the defaults do.
    ingestBurst: row?.ingestBurst ?? (row?.ingestPerSecond ? ingestPerSecond * 2 : defaults.ingestBurst),
    maxDestinations: row?.maxDestinations ?? defaults.maxDestinations,
    maxDestinationsPerCustomer: row?.maxDestinationsPerCustomer ?? defaults.maxDestinationsPerCustomer,
    destinationTestsPerMinute: row?.destinationTestsPerMinute ?? defaults.destinationTestsPerMinute,
  };
}

export function createTenantLimitsService(deps: { repository: TenantLimitsRepository; defaults: TenantLimits }) {
  const cache = createLoadingCache<TenantLimits>({
    load: async (tenantId) => effectiveLimits(await deps.repository.get(tenantId), deps.defaults),
    isFresh: (_limits, ageMs) => ageMs < LIMITS_TTL_MS,
    maxEntries: 10_000,
  });

  return {
    /** Synchronous when cached: this is on every ingest request's path. */
    forTenant: (tenantId: string): TenantLimits | Promise<TenantLimits> => cache.get(tenantId),
    forget: (tenantIds: readonly string[]) => cache.forgetKeys(tenantIds),

    async update(tenantId: string, patch: TenantLimitsPatch): Promise<TenantLimits> {
      const row = await deps.repository.set(tenantId, patch);
      cache.forgetKeys([tenantId]);
      return effectiveLimits(row, deps.defaults);
    },
  };
}

export type TenantLimitsService = ReturnType<typeof createTenantLimitsService>;
