import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import { newId } from '../ids.ts';
import { dlqEntries, dlqReplayItems, dlqReplays } from '../schema/dlq.ts';
import { type DlqFilters, type DlqScope, dlqFilterSql } from './dlq-repository.ts';

/**
 * Bulk replays. A replay's entries are fixed when it starts (copied into dlq_replay_items in
 * one statement), so entries that die while it runs are not swept in, and progress is exact:
 * total = replayed + failed when done.
 */
export function createDlqReplaysRepository(ex: Executor) {
  return {
    /** The replay and its items; call in a transaction. Nothing matched: done at once. */
    async start(tx: Executor, scope: DlqScope, filters: DlqFilters): Promise<{ replayId: string; total: number }> {
      const replayId = newId();
      const tenantId = 'allTenants' in scope ? (scope.tenantId ?? null) : scope.tenantId;
      await tx.db.insert(dlqReplays).values({ id: replayId, tenantId, filter: { ...filters }, total: 0 });
      const inserted = await tx.db.execute(sql`
        insert into ${dlqReplayItems} (replay_id, entry_id)
        select ${replayId}, ${dlqEntries.id} from ${dlqEntries}
        where ${and(dlqFilterSql(scope, filters), eq(dlqEntries.state, 'open'))}`);
      const total = inserted.rowCount ?? 0;
      await tx.db
        .update(dlqReplays)
        .set(total === 0 ? { total, status: 'done', finishedAt: new Date() } : { total })
        .where(eq(dlqReplays.id, replayId));
      return { replayId, total };
    },

    /** Replays still running: the sweeper gives them their job back after a lost Redis. */
    async listRunning(): Promise<string[]> {
      const rows = await ex.db.select({ id: dlqReplays.id }).from(dlqReplays).where(eq(dlqReplays.status, 'running'));
      return rows.map((row) => row.id);
    },

    /** How many of the tenant's bulk replays are running (null: operator replays across tenants). */
    async countRunning(tenantId: string | null): Promise<number> {
      const result = await ex.query<{ running: number }>(
        `select count(*)::int as running from dlq_replays
         where status = 'running' and tenant_id is not distinct from $1`,
        [tenantId],
      );
      return result.rows[0]?.running ?? 0;
    },

    async scopeOf(replayId: string): Promise<DlqScope | undefined> {
      const [row] = await ex.db
        .select({ tenantId: dlqReplays.tenantId })
        .from(dlqReplays)
        .where(eq(dlqReplays.id, replayId));
      if (!row) return undefined;
      return row.tenantId ? { tenantId: row.tenantId } : { allTenants: true };
    },

    async nextItems(replayId: string, limit: number): Promise<string[]> {
      const rows = await ex.db
        .select({ entryId: dlqReplayItems.entryId })
        .from(dlqReplayItems)
        .where(and(eq(dlqReplayItems.replayId, replayId), eq(dlqReplayItems.done, false)))
        .limit(limit);
      return rows.map((row) => row.entryId);
    },

    /**
     * Marks a chunk's items done and answers the ones this call took: a second run of the same
     * chunk (a stalled worker, a retry) waits on their rows, then finds them taken.
     */
    async takeItems(tx: Executor, replayId: string, entryIds: string[]): Promise<string[]> {
      const taken = await tx.query<{ entry_id: string }>(
        `update dlq_replay_items set done = true
         where replay_id = $1 and entry_id = any($2::uuid[]) and not done returning entry_id`,
        [replayId, entryIds],
      );
      return taken.rows.map((row) => row.entry_id);
    },

    /** Adds a chunk's counts; the replay is done when no item is left. */
    async countProgress(tx: Executor, replayId: string, replayed: number, failed: number): Promise<void> {
      await tx.query(
        `update dlq_replays set replayed = replayed + $2, failed = failed + $3,
           status = case when exists (select 1 from dlq_replay_items where replay_id = $1 and not done)
                         then status else 'done' end,
           finished_at = case when exists (select 1 from dlq_replay_items where replay_id = $1 and not done)
                              then finished_at else now() end
         where id = $1`,
        [replayId, replayed, failed],
      );
    },
  };
}

export type DlqReplaysRepository = ReturnType<typeof createDlqReplaysRepository>;
