import { and, asc, eq, gt, isNotNull, ne, sql } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import { destinations, type SealedSecretColumn } from '../schema/destinations.ts';

/**
 * The stored secrets by the key that sealed them, for re-sealing after a key rotation. Across
 * tenants, deleted destinations included (their secrets are still stored): these are an
 * operator's maintenance queries, not a tenant's requests.
 */

export interface StoredSecret {
  id: string;
  sealed: SealedSecretColumn;
}

const keyIdOf = sql<string>`${destinations.secretAccessKey}->>'keyId'`;

export function createSealedSecrets({ db }: Executor) {
  return {
    /** Secrets sealed under any key but `keyId`, in id order after `afterId`. */
    async listSealedUnderOtherKeys(keyId: string, afterId: string, limit: number): Promise<StoredSecret[]> {
      const rows = await db
        .select({ id: destinations.id, sealed: destinations.secretAccessKey })
        .from(destinations)
        .where(and(isNotNull(destinations.secretAccessKey), ne(keyIdOf, keyId), gt(destinations.id, afterId)))
        .orderBy(asc(destinations.id))
        .limit(limit);
      return rows.flatMap((row) => (row.sealed ? [{ id: row.id, sealed: row.sealed }] : []));
    },

    /**
     * Replaces one sealed secret by the same secret sealed anew, only if it is still the one read:
     * a PATCH that stored another secret meanwhile wins. Not an edit: updatedAt stays.
     */
    async replace(id: string, previous: SealedSecretColumn, next: SealedSecretColumn): Promise<boolean> {
      const updated = await db
        .update(destinations)
        .set({ secretAccessKey: next })
        .where(and(eq(destinations.id, id), sql`${destinations.secretAccessKey} = ${JSON.stringify(previous)}::jsonb`))
        .returning({ id: destinations.id });
      return updated.length > 0;
    },

    /** How many stored secrets each key sealed. */
    async countByKey(): Promise<Map<string, number>> {
      const rows = await db
        .select({ keyId: keyIdOf, count: sql<number>`count(*)::int` })
        .from(destinations)
        .where(isNotNull(destinations.secretAccessKey))
        .groupBy(keyIdOf);
      return new Map(rows.map((row) => [row.keyId, row.count]));
    },
  };
}

export type SealedSecrets = ReturnType<typeof createSealedSecrets>;
