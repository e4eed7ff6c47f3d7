import { eq, sql } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import { type TenantLimitsRow, tenantLimits } from '../schema/tenants.ts';

export type TenantLimitsChanges = Partial<Omit<TenantLimitsRow, 'tenantId' | 'updatedAt'>>;

export function createTenantLimitsRepository({ db }: Executor) {
  return {
    /** The tenant's own limits; undefined when an operator never set any. */
    async get(tenantId: string): Promise<TenantLimitsRow | undefined> {
      const [row] = await db.select().from(tenantLimits).where(eq(tenantLimits.tenantId, tenantId));
      return row;
    },

    /** Sets the given columns (null: back to the default); the others keep their value. */
    async set(tenantId: string, changes: TenantLimitsChanges): Promise<TenantLimitsRow> {
      const [row] = await db
        .insert(tenantLimits)
        .values({ tenantId, ...changes })
        .onConflictDoUpdate({ target: tenantLimits.tenantId, set: { ...changes, updatedAt: sql`now()` } })
        .returning();
      return row!;
    },
  };
}

export type TenantLimitsRepository = ReturnType<typeof createTenantLimitsRepository>;

/**
 * What changed since `since` (PostgreSQL's clock): keys revoked and tenants whose limits were
 * set. Every API process asks this twice a second, in one round trip, so a revocation or a
 * new limit takes effect everywhere within about a second without a lookup per request.
 * This query names no tenant: api_keys and tenant_limits are small and would be reference
 * tables under Citus.
 */
export async function accessChangesSince(
  ex: Executor,
  since: Date | null,
): Promise<{ now: Date; revokedKeyIds: string[]; limitsChangedFor: string[] }> {
  const result = await ex.query<{ now: Date; revoked: string[]; limits: string[] }>({
    name: 'access-changes-since',
    text: `select now() as now,
                  coalesce((select array_agg(id::text) from api_keys where revoked_at > coalesce($1, now())), '{}')
                    as revoked,
                  coalesce((select array_agg(tenant_id::text) from tenant_limits where updated_at > coalesce($1, now())), '{}')
                    as limits`,
    // The first call (nothing cached yet, nothing to forget) only learns the clock.
    values: [since],
  });
  const row = result.rows[0]!;
  return { now: row.now, revokedKeyIds: row.revoked, limitsChangedFor: row.limits };
}
