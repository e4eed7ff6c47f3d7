import { and, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import { newId } from '../ids.ts';
import { afterCursor, type PageRequest, toPage } from '../pagination.ts';
import { type ApiKeyRow, apiKeys, type TenantRow, tenants } from '../schema/tenants.ts';

export function createTenantsRepository(ex: Executor) {
  const { db } = ex;
  return {
    async create(name: string): Promise<TenantRow> {
      const [row] = await db.insert(tenants).values({ id: newId(), name }).returning();
      return row!;
    },

    async exists(tenantId: string): Promise<boolean> {
      const rows = await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenantId));
      return rows.length > 0;
    },

    async get(tenantId: string): Promise<TenantRow | undefined> {
      const [row] = await db.select().from(tenants).where(eq(tenants.id, tenantId));
      return row;
    },

    async update(
      tenantId: string,
      changes: Partial<Pick<TenantRow, 'name' | 'portalFrameAncestors'>>,
    ): Promise<TenantRow | undefined> {
      if (Object.keys(changes).length === 0) return this.get(tenantId);
      const [row] = await db.update(tenants).set(changes).where(eq(tenants.id, tenantId)).returning();
      return row;
    },

    async list(page: PageRequest) {
      const rows = await db
        .select()
        .from(tenants)
        .where(afterCursor(tenants.id, page))
        .orderBy(desc(tenants.id))
        .limit(page.limit + 1);
      return toPage(rows, page.limit, (row) => row);
    },

    async createApiKey(input: {
      tenantId: string;
      name: string;
      keyHash: string;
      scopes: string[];
    }): Promise<ApiKeyRow> {
      const [row] = await db
        .insert(apiKeys)
        .values({ id: newId(), ...input })
        .returning();
      return row!;
    },

    async listApiKeys(tenantId: string, page: PageRequest) {
      const rows = await db
        .select()
        .from(apiKeys)
        .where(and(eq(apiKeys.tenantId, tenantId), afterCursor(apiKeys.id, page)))
        .orderBy(desc(apiKeys.id))
        .limit(page.limit + 1);
      return toPage(rows, page.limit, (row) => row);
    },

    async findActiveKeyByHash(keyHash: string): Promise<ApiKeyRow | undefined> {
      const [row] = await db
        .select()
        .from(apiKeys)
        .where(and(eq(apiKeys.keyHash, keyHash), isNull(apiKeys.revokedAt)));
      return row;
    },

    /** Stamps these keys as used now (a key stamped within the last minute is left alone). */
    async markKeysUsed(keyIds: string[]): Promise<void> {
      if (keyIds.length === 0) return;
      await db
        .update(apiKeys)
        .set({ lastUsedAt: sql`now()` })
        .where(
          and(
            inArray(apiKeys.id, keyIds),
            sql`(${apiKeys.lastUsedAt} is null or ${apiKeys.lastUsedAt} < now() - interval '1 minute')`,
          ),
        );
    },

    /** Returns false when no such key exists; revoking twice is harmless. */
    async revokeApiKey(keyId: string): Promise<boolean> {
      const rows = await db
        .update(apiKeys)
        .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
        .where(eq(apiKeys.id, keyId))
        .returning({ id: apiKeys.id });
      return rows.length > 0;
    },
  };
}

export type TenantsRepository = ReturnType<typeof createTenantsRepository>;
