import { z } from 'zod';

/** A tenant's limits (API.md, "Keys and tenants"): what an operator sets, what the API enforces. */

const limit = (max: number) => z.number().int().min(1).max(max);

export const tenantLimitsSchema = z
  .object({
    ingestPerSecond: limit(1_000_000).meta({ description: 'Events accepted per second (a batch counts each event)' }),
    ingestBurst: limit(10_000_000).meta({ description: 'Events accepted at once after a quiet spell' }),
    maxDestinations: limit(1_000_000).meta({ description: 'Destinations of the tenant' }),
    maxDestinationsPerCustomer: limit(1_000_000).meta({ description: 'Destinations of one customerExternalId' }),
    destinationTestsPerMinute: limit(10_000).meta({ description: 'POST /v1/destinations/{id}/test calls per minute' }),
  })
  .meta({ id: 'TenantLimits', description: 'The limits in force: the tenant’s own, or the service defaults' });

export type TenantLimitsView = z.infer<typeof tenantLimitsSchema>;

const { shape } = tenantLimitsSchema;
export const tenantLimitsPatchSchema = z
  .strictObject({
    ingestPerSecond: shape.ingestPerSecond.nullable().optional(),
    ingestBurst: shape.ingestBurst.nullable().optional(),
    maxDestinations: shape.maxDestinations.nullable().optional(),
    maxDestinationsPerCustomer: shape.maxDestinationsPerCustomer.nullable().optional(),
    destinationTestsPerMinute: shape.destinationTestsPerMinute.nullable().optional(),
  })
  .meta({
    id: 'TenantLimitsPatch',
    description:
      'Only the limits given change; null puts one back to the service default. Without ingestBurst, ' +
      'a tenant with its own ingestPerSecond gets twice that as its burst.',
  });

export type TenantLimitsPatch = z.infer<typeof tenantLimitsPatchSchema>;
