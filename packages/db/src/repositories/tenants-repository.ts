import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '../client.ts';
import { isId, newId } from '../ids.ts';
import { afterCursor, type PageRequest, toPage } from '../pagination.ts';
import { type ApiKeyRow, apiKeys, type TenantRow, tenants } from '../schema.ts';

export function createTenantsRepository(db: Database) {
  return {
    async create(name: string): Promise<TenantRow> {
      const [row] = await db.insert(tenants).values({ id: newId(), name }).returning();
      return row!;
    },

    async exists(tenantId: string): Promise<boolean> {
      if (!isId(tenantId)) return false;
      const rows = await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenantId));
      return rows.length > 0;
    },

    async get(tenantId: string): Promise<TenantRow | undefined> {
      if (!isId(tenantId)) return undefined;
      const [row] = await db.select().from(tenants).where(eq(tenants.id, tenantId));
      return row;
    },

    async rename(tenantId: string, name: string): Promise<TenantRow | undefined> {
      if (!isId(tenantId)) return undefined;
      const [row] = await db.update(tenants).set({ name }).where(eq(tenants.id, tenantId)).returning();
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

    async findActiveKeyByHash(keyHash: string): Promise<ApiKeyRow | undefined> {
      const [row] = await db
        .select()
        .from(apiKeys)
        .where(and(eq(apiKeys.keyHash, keyHash), isNull(apiKeys.revokedAt)));
      return row;
    },

    /** Returns false when no such key exists; revoking twice is harmless. */
    async revokeApiKey(keyId: string): Promise<boolean> {
      if (!isId(keyId)) return false;
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
