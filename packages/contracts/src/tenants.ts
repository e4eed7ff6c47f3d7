import { z } from 'zod';
import { idSchema, timestampSchema } from './common.ts';
import { tenantLimitsPatchSchema, tenantLimitsSchema } from './tenant-limits.ts';

export const scopeSchema = z.enum(['ingest', 'admin']);
export type Scope = z.infer<typeof scopeSchema>;

export const createTenantSchema = z.strictObject({ name: z.string().trim().min(1).max(200) });

export const tenantSchema = z
  .object({ id: idSchema, name: z.string(), createdAt: timestampSchema })
  .meta({ id: 'Tenant' });

export const createApiKeySchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  scopes: z
    .array(scopeSchema)
    .min(1)
    .max(2)
    .refine((scopes) => new Set(scopes).size === scopes.length, 'must not repeat a scope'),
});

export const apiKeySchema = z
  .object({ id: idSchema, name: z.string(), scopes: z.array(scopeSchema), createdAt: timestampSchema })
  .meta({ id: 'ApiKey' });

export const createdApiKeySchema = apiKeySchema
  .extend({ key: z.string().meta({ description: 'The secret key. Shown once: only its hash is stored.' }) })
  .meta({ id: 'CreatedApiKey' });

export const tenantParamsSchema = z.object({ tenantId: z.string() });
export const keyParamsSchema = z.object({ keyId: z.string() });

export const updateTenantSchema = z
  .strictObject({
    name: createTenantSchema.shape.name.optional(),
    limits: tenantLimitsPatchSchema.optional(),
  })
  .meta({ id: 'TenantUpdate' });

export const tenantWithLimitsSchema = tenantSchema
  .extend({ limits: tenantLimitsSchema })
  .meta({ id: 'TenantWithLimits' });
