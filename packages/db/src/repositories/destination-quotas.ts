import { sql } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import { type DestinationRow, destinations, type NewDestinationRow } from '../schema/destinations.ts';

export interface DestinationQuota {
  maxDestinations: number;
  maxDestinationsPerCustomer: number;
}

export type QuotaOutcome =
  | { inserted: DestinationRow }
  | { exceeded: 'tenant' | 'customer'; limit: number; count: number };

// The first key of the advisory lock: quota checks of destinations, one lock per tenant.
const QUOTA_LOCK_CLASS = 1_316_240_101;

/**
 * Call in a transaction. Inserts the destination unless its tenant, or its customer, already has as many as the quota
 * allows. Creates of one tenant take turns (an advisory lock for the transaction), so two
 * concurrent creates cannot both take the last place; other tenants are not held up.
 */
export async function insertDestinationWithinQuota(
  tx: Executor,
  row: NewDestinationRow,
  quota: DestinationQuota,
): Promise<QuotaOutcome> {
  await tx.db.execute(sql`select pg_advisory_xact_lock(${QUOTA_LOCK_CLASS}, hashtext(${row.tenantId}))`);
  const counted = await tx.db.execute<{ tenant: number; customer: number }>(sql`
      select count(*)::int as tenant,
             count(*) filter (where ${destinations.customerExternalId} = ${row.customerExternalId})::int as customer
      from ${destinations}
      where ${destinations.tenantId} = ${row.tenantId} and ${destinations.deletedAt} is null`);
  const { tenant, customer } = counted.rows[0]!;
  if (tenant >= quota.maxDestinations) return { exceeded: 'tenant', limit: quota.maxDestinations, count: tenant };
  if (customer >= quota.maxDestinationsPerCustomer) {
    return { exceeded: 'customer', limit: quota.maxDestinationsPerCustomer, count: customer };
  }
  const [inserted] = await tx.db.insert(destinations).values(row).returning();
  return { inserted: inserted! };
}
