import { and, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import { newId } from '../ids.ts';
import { type ConsoleSessionRow, consoleSessions, type PortalTokenRow, portalTokens } from '../schema/access.ts';
import { apiKeys } from '../schema/tenants.ts';

/**
 * Console sessions and customer-scoped portal tokens: short-lived credentials stored only as
 * hashes. Lookups are not cached, so a sign-out or a revocation holds in every API process at once.
 */
export function createAccessTokensRepository({ db }: Executor) {
  return {
    async createConsoleSession(input: Omit<ConsoleSessionRow, 'id' | 'createdAt'>): Promise<ConsoleSessionRow> {
      const [row] = await db
        .insert(consoleSessions)
        .values({ id: newId(), ...input })
        .returning();
      return row!;
    },

    /** A live session; a tenant session only while the key it was opened with is not revoked. */
    async findConsoleSession(tokenHash: string) {
      const [found] = await db
        .select({ session: consoleSessions, keyScopes: apiKeys.scopes, keyRevokedAt: apiKeys.revokedAt })
        .from(consoleSessions)
        .leftJoin(apiKeys, eq(apiKeys.id, consoleSessions.apiKeyId))
        .where(and(eq(consoleSessions.tokenHash, tokenHash), gt(consoleSessions.expiresAt, sql`now()`)));
      if (!found || found.keyRevokedAt) return undefined;
      return { ...found.session, scopes: found.keyScopes ?? [] };
    },

    async deleteConsoleSession(tokenHash: string): Promise<void> {
      // Expired sessions go with any sign-out: the table never grows past the live ones for long.
      await db
        .delete(consoleSessions)
        .where(sql`${consoleSessions.tokenHash} = ${tokenHash} or ${consoleSessions.expiresAt} < now()`);
    },

    async createPortalToken(input: Omit<PortalTokenRow, 'id' | 'createdAt' | 'revokedAt'>): Promise<PortalTokenRow> {
      const [row] = await db
        .insert(portalTokens)
        .values({ id: newId(), ...input })
        .returning();
      return row!;
    },

    async findPortalToken(tokenHash: string): Promise<PortalTokenRow | undefined> {
      const [row] = await db
        .select()
        .from(portalTokens)
        .where(
          and(
            eq(portalTokens.tokenHash, tokenHash),
            isNull(portalTokens.revokedAt),
            gt(portalTokens.expiresAt, sql`now()`),
          ),
        );
      return row;
    },

    /** Uses up a portal URL's code: answers its token's row once, then never again. */
    async takePortalCode(codeHash: string): Promise<PortalTokenRow | undefined> {
      const [row] = await db
        .update(portalTokens)
        .set({ codeHash: null, codeExpiresAt: null })
        .where(
          and(
            eq(portalTokens.codeHash, codeHash),
            gt(portalTokens.codeExpiresAt, sql`now()`),
            gt(portalTokens.expiresAt, sql`now()`),
            isNull(portalTokens.revokedAt),
          ),
        )
        .returning();
      return row;
    },

    /** The tenant a portal token (by its public id) belongs to, for the portal page's frame-ancestors. */
    async portalTokenTenant(id: string): Promise<string | undefined> {
      const [row] = await db
        .select({ tenantId: portalTokens.tenantId })
        .from(portalTokens)
        .where(and(eq(portalTokens.id, id), gt(portalTokens.expiresAt, sql`now()`)));
      return row?.tenantId;
    },

    async revokeCustomerTokens(tenantId: string, customerExternalId: string): Promise<number> {
      const rows = await db
        .update(portalTokens)
        .set({ revokedAt: sql`now()` })
        .where(
          and(
            eq(portalTokens.tenantId, tenantId),
            eq(portalTokens.customerExternalId, customerExternalId),
            isNull(portalTokens.revokedAt),
          ),
        )
        .returning({ id: portalTokens.id });
      // Tokens long expired are of no use to anyone: dropped on the way.
      await db.delete(portalTokens).where(lt(portalTokens.expiresAt, sql`now() - interval '1 day'`));
      return rows.length;
    },
  };
}

export type AccessTokensRepository = ReturnType<typeof createAccessTokensRepository>;
