import { index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { apiKeys, tenants } from './tenants.ts';

/** A console sign-in: the cookie holds the token, this row only its SHA-256. */
export const consoleSessions = pgTable(
  'console_sessions',
  {
    id: uuid('id').primaryKey(),
    tokenHash: text('token_hash').notNull(),
    kind: text('kind').$type<'operator' | 'tenant'>().notNull(),
    tenantId: uuid('tenant_id').references(() => tenants.id),
    // The tenant admin key signed in with: its revocation ends the session.
    apiKeyId: uuid('api_key_id').references(() => apiKeys.id),
    // For operator sessions: a hash of the OPERATOR_API_KEY of the time, so rotating it ends them.
    operatorKeyHash: text('operator_key_hash'),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('console_sessions_token_hash_key').on(t.tokenHash),
    index('console_sessions_expires_idx').on(t.expiresAt),
  ],
);

/**
 * Customer-scoped bearer tokens (portal sessions). `api` tokens are handed to the tenant by
 * POST /v1/portal/sessions with a single-use code for the portal URL; the portal page trades
 * that code for a `browser` token of its own. Only hashes are stored.
 */
export const portalTokens = pgTable(
  'portal_tokens',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    customerExternalId: text('customer_external_id').notNull(),
    kind: text('kind').$type<'api' | 'browser'>().notNull(),
    tokenHash: text('token_hash').notNull(),
    // The portal URL's code (SHA-256), null once used.
    codeHash: text('code_hash'),
    codeExpiresAt: timestamp('code_expires_at', { withTimezone: true, mode: 'date' }),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('portal_tokens_token_hash_key').on(t.tokenHash),
    uniqueIndex('portal_tokens_code_hash_key').on(t.codeHash),
    index('portal_tokens_customer_idx').on(t.tenantId, t.customerExternalId),
  ],
);

export type PortalTokenRow = typeof portalTokens.$inferSelect;
export type ConsoleSessionRow = typeof consoleSessions.$inferSelect;
