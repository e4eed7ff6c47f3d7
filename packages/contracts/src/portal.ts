import { z } from 'zod';
import { timestampSchema } from './common.ts';

const customerExternalId = z.string().min(1).max(256);

export const createPortalSessionSchema = z
  .strictObject({
    customerExternalId,
    ttlSeconds: z.number().int().min(60).max(86_400).default(3600),
  })
  .meta({ id: 'PortalSessionInput' });

export const portalSessionSchema = z
  .object({
    url: z.string().meta({
      description:
        'Opens the customer portal; embed it in an iframe (frame-ancestors: the tenant portal.frameAncestors). ' +
        'Its fragment carries a single-use code valid for 5 minutes, not the token.',
    }),
    token: z.string().meta({
      description:
        'Bearer token for this one customer until expiresAt: /v1/destinations*, /v1/deliveries*, /v1/dlq*, /v1/stats',
    }),
    expiresAt: timestampSchema,
  })
  .meta({ id: 'PortalSession' });

export const revokePortalSessionsQuerySchema = z.object({ customerExternalId });

export const portalCodeExchangeSchema = z.strictObject({ code: z.string().min(1).max(200) });

export const portalExchangeResultSchema = z
  .object({ token: z.string(), expiresAt: timestampSchema, customerExternalId: z.string() })
  .meta({ id: 'PortalExchangeResult' });

export const consoleSignInSchema = z.strictObject({
  key: z.string().min(1).max(512).meta({ description: 'The operator key or a tenant API key with the admin scope' }),
});

export const consoleSessionSchema = z
  .object({
    kind: z.enum(['operator', 'tenant']),
    tenantId: z.string().nullable(),
    tenantName: z.string().nullable(),
    expiresAt: timestampSchema,
  })
  .meta({ id: 'ConsoleSession' });

/** An origin a customer portal may be embedded in: scheme, host (optionally *. first) and port. */
export const frameAncestorSchema = z
  .string()
  .max(253)
  .regex(
    /^https?:\/\/(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/,
    'must be an origin such as https://app.example.com or https://*.example.com (lower case, no path)',
  );

export const tenantPortalSettingsSchema = z.strictObject({
  frameAncestors: z.array(frameAncestorSchema).max(20).meta({
    description: "Origins allowed to embed the tenant's customer portal in an iframe; empty: none",
  }),
});
