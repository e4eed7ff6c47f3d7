import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../client.ts';
import { newId } from '../ids.ts';
import { dlqEntries, dlqReplayItems, dlqReplays } from '../schema.ts';
import { type DlqFilters, type DlqScope, dlqFilterSql } from './dlq-repository.ts';

/**
 * Bulk replays. A replay's entries are fixed when it starts (copied into dlq_replay_items
 * in one statement), so entries that die while it runs are not swept in, and progress is
 * exact: total = replayed + failed when done.
 */
export function createDlqReplaysRepository(db: Database) {
  return {
    async start(scope: DlqScope, filters: DlqFilters): Promise<{ replayId: string; total: number }> {
      const replayId = newId();
      const tenantId = 'allTenants' in scope ? (scope.tenantId ?? null) : scope.tenantId;
      return db.transaction(async (tx) => {
        await tx.insert(dlqReplays).values({ id: replayId, tenantId, filter: { ...filters }, total: 0 });
        const inserted = await tx.execute(sql`
          insert into ${dlqReplayItems} (replay_id, entry_id)
          select ${replayId}, ${dlqEntries.id} from ${dlqEntries}
          where ${and(dlqFilterSql(scope, filters), eq(dlqEntries.state, 'open'))}`);
        const total = inserted.rowCount ?? 0;
        // Nothing matched: done at once (no chunk will ever run to say so).
        await tx
          .update(dlqReplays)
          .set(total === 0 ? { total, status: 'done', finishedAt: new Date() } : { total })
          .where(eq(dlqReplays.id, replayId));
        return { replayId, total };
      });
    },

    /** Replays still running: the sweeper re-enqueues them after a lost Redis. */
    async listRunning(): Promise<string[]> {
      const rows = await db.select({ id: dlqReplays.id }).from(dlqReplays).where(eq(dlqReplays.status, 'running'));
      return rows.map((row) => row.id);
    },

    async scopeOf(replayId: string): Promise<DlqScope | undefined> {
      const [row] = await db
        .select({ tenantId: dlqReplays.tenantId })
        .from(dlqReplays)
        .where(eq(dlqReplays.id, replayId));
      if (!row) return undefined;
      return row.tenantId ? { tenantId: row.tenantId } : { allTenants: true };
    },

    async nextItems(replayId: string, limit: number): Promise<string[]> {
      const rows = await db
        .select({ entryId: dlqReplayItems.entryId })
        .from(dlqReplayItems)
        .where(and(eq(dlqReplayItems.replayId, replayId), eq(dlqReplayItems.done, false)))
        .limit(limit);
      return rows.map((row) => row.entryId);
    },

    /** The distinct destinations of some entries, to wake their drains. */
    async destinationsOf(entryIds: string[]): Promise<{ tenantId: string; destinationId: string }[]> {
      if (entryIds.length === 0) return [];
      return db
        .selectDistinct({ tenantId: dlqEntries.tenantId, destinationId: dlqEntries.destinationId })
        .from(dlqEntries)
        .where(inArray(dlqEntries.id, entryIds));
    },
  };
}

export type DlqReplaysRepository = ReturnType<typeof createDlqReplaysRepository>;
