import { z } from 'zod';
import { idSchema, pathIdSchema, timestampSchema } from './common.ts';
import { tenantPortalSettingsSchema } from './portal.ts';
import { tenantLimitsPatchSchema, tenantLimitsSchema } from './tenant-limits.ts';

export const scopeSchema = z.enum(['ingest', 'admin']);
export type Scope = z.infer<typeof scopeSchema>;

export const createTenantSchema = z.strictObject({ name: z.string().trim().min(1).max(200) });

export const tenantSchema = z
  .object({
    id: idSchema,
    name: z.string(),
    createdAt: timestampSchema,
    portal: z.object({ frameAncestors: z.array(z.string()) }).meta({
      description: "Origins that may embed the tenant's customer portal (CSP frame-ancestors); empty: none",
    }),
  })
  .meta({ id: 'Tenant' });

export const updateTenantSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    portal: tenantPortalSettingsSchema.optional(),
    limits: tenantLimitsPatchSchema.optional(),
  })
  .meta({ id: 'TenantUpdate' });

export type UpdateTenantInput = z.infer<typeof updateTenantSchema>;

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

export const apiKeyListItemSchema = apiKeySchema
  .extend({
    lastUsedAt: timestampSchema
      .nullable()
      .meta({ description: 'When a request last authenticated with the key, to within about a minute; null if never' }),
    revokedAt: timestampSchema.nullable(),
  })
  .meta({ id: 'ApiKeyListItem' });

export const createdApiKeySchema = apiKeySchema
  .extend({ key: z.string().meta({ description: 'The secret key. Shown once: only its hash is stored.' }) })
  .meta({ id: 'CreatedApiKey' });

export const tenantParamsSchema = z.object({ tenantId: pathIdSchema });
export const keyParamsSchema = z.object({ keyId: pathIdSchema });

export const tenantWithLimitsSchema = tenantSchema
  .extend({ limits: tenantLimitsSchema })
  .meta({ id: 'TenantWithLimits' });
